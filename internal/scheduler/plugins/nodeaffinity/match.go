package nodeaffinity

import (
	"slices"
	"strconv"

	v1 "k8s.io/api/core/v1"
)

// MatchesNodeSelector reports whether node satisfies the map-form
// spec.nodeSelector: every key present with exactly that value.
func MatchesNodeSelector(selector map[string]string, node *v1.Node) bool {
	for k, v := range selector {
		if got, ok := node.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// MatchesTerms reports whether node satisfies any of the terms (ORed). A
// nil or empty list matches nothing, as upstream.
func MatchesTerms(terms []v1.NodeSelectorTerm, node *v1.Node) bool {
	for i := range terms {
		if MatchesTerm(&terms[i], node) {
			return true
		}
	}
	return false
}

// MatchesTerm reports whether node satisfies every requirement of term.
// A term without requirements matches nothing; an invalid requirement
// makes the term fail.
func MatchesTerm(term *v1.NodeSelectorTerm, node *v1.Node) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	for i := range term.MatchExpressions {
		r := &term.MatchExpressions[i]
		v, ok := node.Labels[r.Key]
		if !matchRequirement(r, v, ok) {
			return false
		}
	}
	for i := range term.MatchFields {
		r := &term.MatchFields[i]
		if r.Key != "metadata.name" || (r.Operator != v1.NodeSelectorOpIn && r.Operator != v1.NodeSelectorOpNotIn) {
			return false
		}
		if !matchRequirement(r, node.Name, true) {
			return false
		}
	}
	return true
}

// matchRequirement applies one operator to a value (present tells whether
// the label exists).
func matchRequirement(r *v1.NodeSelectorRequirement, value string, present bool) bool {
	switch r.Operator {
	case v1.NodeSelectorOpIn:
		return present && slices.Contains(r.Values, value)
	case v1.NodeSelectorOpNotIn:
		return !present || !slices.Contains(r.Values, value)
	case v1.NodeSelectorOpExists:
		return present
	case v1.NodeSelectorOpDoesNotExist:
		return !present
	case v1.NodeSelectorOpGt, v1.NodeSelectorOpLt:
		if !present || len(r.Values) != 1 {
			return false
		}
		want, err := strconv.ParseInt(r.Values[0], 10, 64)
		if err != nil {
			return false
		}
		got, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return false
		}
		if r.Operator == v1.NodeSelectorOpGt {
			return got > want
		}
		return got < want
	}
	return false
}
