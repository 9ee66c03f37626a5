package framework

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// LabelMatcher answers labels.Selector.Matches for the selectors of pod
// affinity terms and spread constraints, which are matched against every
// pod of the cluster in each cycle. A selector whose requirements all use
// the set operators (=, ==, in, !=, notin, exists, !) is matched from a
// plain list, without the interface calls of labels.Selector; any other
// (gt, lt, or one that selects nothing) is asked itself. The zero value
// has no selector: Matches is then false, as for a nil selector's
// labels.Nothing.
type LabelMatcher struct {
	sel  labels.Selector
	reqs []labelRequirement
	// listed is true when reqs says everything (the fast path).
	listed bool
}

type labelRequirement struct {
	key    string
	op     selection.Operator
	values []string
}

// NewLabelMatcher returns the matcher of sel (nil: matches nothing).
func NewLabelMatcher(sel labels.Selector) LabelMatcher {
	m := LabelMatcher{sel: sel}
	if sel == nil {
		return m
	}
	reqs, selectable := sel.Requirements()
	if !selectable {
		return m
	}
	list := make([]labelRequirement, 0, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		switch r.Operator() {
		case selection.In, selection.Equals, selection.DoubleEquals, selection.NotIn, selection.NotEquals,
			selection.Exists, selection.DoesNotExist:
			list = append(list, labelRequirement{key: r.Key(), op: r.Operator(), values: r.ValuesUnsorted()})
		default:
			return m
		}
	}
	m.reqs, m.listed = list, true
	return m
}

// Matches reports whether the selector selects a pod with labels l.
func (m *LabelMatcher) Matches(l map[string]string) bool {
	if !m.listed {
		return m.sel != nil && m.sel.Matches(labels.Set(l))
	}
	for i := range m.reqs {
		if !m.reqs[i].matches(l) {
			return false
		}
	}
	return true
}

// matches is labels.Requirement.Matches for the set operators.
func (r *labelRequirement) matches(l map[string]string) bool {
	v, ok := l[r.key]
	switch r.op {
	case selection.In, selection.Equals, selection.DoubleEquals:
		return ok && slices.Contains(r.values, v)
	case selection.NotIn, selection.NotEquals:
		return !ok || !slices.Contains(r.values, v)
	case selection.Exists:
		return ok
	default: // selection.DoesNotExist: NewLabelMatcher lists no other
		return !ok
	}
}

// SelectorKey names what sel selects, for memo keys (NodeMemo): selectors
// with equal keys select the same label sets. nil is "", a selector that
// selects nothing "!", any other "=" and its canonical String (which is ""
// both for labels.Everything and labels.Nothing, hence the prefixes).
func SelectorKey(sel labels.Selector) string {
	if sel == nil {
		return ""
	}
	if _, selectable := sel.Requirements(); !selectable {
		return "!"
	}
	return "=" + sel.String()
}
