package quota

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
)

// Op is the kind of write being admitted.
type Op int

// The writes quota looks at.
const (
	Create Op = iota
	Update
)

// Evaluator measures one resource's objects for quota. Objects are core/v1
// types for pods, services and persistentvolumeclaims; any object for the
// counted resources. Methods do not change the objects they are given.
type Evaluator interface {
	GroupResource() schema.GroupResource
	// Handles reports whether a write (op on subresource, "" for the
	// object itself) can change this resource's usage; old is nil on
	// create.
	Handles(op Op, subresource string, obj, old runtime.Object) bool
	// MatchingResources returns the names among names that this
	// resource's objects consume.
	MatchingResources(names []corev1.ResourceName) []corev1.ResourceName
	// MatchesScope reports whether obj falls under one scope requirement.
	MatchesScope(req corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error)
	// Constraints returns why obj may not be admitted under a quota
	// limiting required (for pods: containers without cpu or memory
	// requests/limits), nil if it may.
	Constraints(required []corev1.ResourceName, obj runtime.Object) error
	// Usage is what obj consumes.
	Usage(obj runtime.Object) (corev1.ResourceList, error)
}

// For returns the evaluator of gr; now is the clock pods' deletion grace
// periods are read against. Ignored resources (see Ignored) still get a
// counting evaluator: callers check Ignored first.
func For(gr schema.GroupResource, now func() time.Time) Evaluator {
	switch gr {
	case corev1.Resource("pods"):
		return podEvaluator{now: now}
	case corev1.Resource("services"):
		return serviceEvaluator{}
	case corev1.Resource("persistentvolumeclaims"):
		return pvcEvaluator{}
	}
	return countEvaluator{gr: gr}
}

// Ignored reports resources quota never applies to: virtual ones that are
// not stored, and events, as upstream.
func Ignored(gr schema.GroupResource) bool {
	switch gr {
	case corev1.Resource("events"), corev1.Resource("bindings"), corev1.Resource("componentstatuses"),
		schema.GroupResource{Group: "events.k8s.io", Resource: "events"},
		schema.GroupResource{Group: "authentication.k8s.io", Resource: "tokenreviews"},
		schema.GroupResource{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"},
		schema.GroupResource{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
		schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"},
		schema.GroupResource{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"},
		schema.GroupResource{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}:
		return true
	}
	return false
}

// CountName is the object-count resource name of gr:
// count/<resource>.<group>, or count/<resource> for the core group.
func CountName(gr schema.GroupResource) corev1.ResourceName {
	if gr.Group == "" {
		return corev1.ResourceName("count/" + gr.Resource)
	}
	return corev1.ResourceName("count/" + gr.Resource + "." + gr.Group)
}

// ParseCountName returns the resource counted by a count/… name.
func ParseCountName(name corev1.ResourceName) (schema.GroupResource, bool) {
	rest, ok := strings.CutPrefix(string(name), "count/")
	if !ok || rest == "" {
		return schema.GroupResource{}, false
	}
	res, group, _ := strings.Cut(rest, ".")
	return schema.GroupResource{Group: group, Resource: res}, true
}

// legacyCountName is the older unprefixed count name of a few core
// resources ("" for the others).
func legacyCountName(gr schema.GroupResource) corev1.ResourceName {
	switch gr {
	case corev1.Resource("configmaps"):
		return corev1.ResourceConfigMaps
	case corev1.Resource("secrets"):
		return corev1.ResourceSecrets
	case corev1.Resource("replicationcontrollers"):
		return corev1.ResourceReplicationControllers
	case corev1.Resource("resourcequotas"):
		return corev1.ResourceQuotas
	}
	return ""
}

// Selectors are a quota's scope requirements: each of spec.scopes as
// Exists, then spec.scopeSelector's expressions.
func Selectors(q *corev1.ResourceQuota) []corev1.ScopedResourceSelectorRequirement {
	out := make([]corev1.ScopedResourceSelectorRequirement, 0, len(q.Spec.Scopes))
	for _, s := range q.Spec.Scopes {
		out = append(out, corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists})
	}
	if q.Spec.ScopeSelector != nil {
		out = append(out, q.Spec.ScopeSelector.MatchExpressions...)
	}
	return out
}

// Matches reports whether obj counts against q: q's observed hard limits
// (status.hard, as upstream: a quota the controller has not seen yet
// limits nothing) name something obj consumes, and obj meets every scope.
func Matches(ev Evaluator, q *corev1.ResourceQuota, obj runtime.Object) (bool, error) {
	if len(ev.MatchingResources(Names(q.Status.Hard))) == 0 {
		return false, nil
	}
	return MatchesScopes(ev, Selectors(q), obj)
}

// MatchesScopes reports whether obj meets every requirement of sels.
func MatchesScopes(ev Evaluator, sels []corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	for _, s := range sels {
		ok, err := ev.MatchesScope(s, obj)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// scopeSelectorMatches evaluates a requirement over the label set
// {<scope name>: value} (empty when value is "").
func scopeSelectorMatches(req corev1.ScopedResourceSelectorRequirement, value string) (bool, error) {
	var op selection.Operator
	switch req.Operator {
	case corev1.ScopeSelectorOpIn:
		op = selection.In
	case corev1.ScopeSelectorOpNotIn:
		op = selection.NotIn
	case corev1.ScopeSelectorOpExists:
		op = selection.Exists
	case corev1.ScopeSelectorOpDoesNotExist:
		op = selection.DoesNotExist
	default:
		return false, fmt.Errorf("%q is not a valid scope selector operator", req.Operator)
	}
	r, err := labels.NewRequirement(string(req.ScopeName), op, req.Values)
	if err != nil {
		return false, fmt.Errorf("scope selector %s: %w", req.ScopeName, err)
	}
	set := labels.Set{}
	if value != "" {
		set[string(req.ScopeName)] = value
	}
	return labels.NewSelector().Add(*r).Matches(set), nil
}

// intersect returns the names of names that are in known, in the order of
// names.
func intersect(names, known []corev1.ResourceName) []corev1.ResourceName {
	var out []corev1.ResourceName
	for _, n := range names {
		if slices.Contains(known, n) {
			out = append(out, n)
		}
	}
	return out
}

// countEvaluator counts objects of any resource.
type countEvaluator struct{ gr schema.GroupResource }

func (e countEvaluator) GroupResource() schema.GroupResource { return e.gr }

func (e countEvaluator) Handles(op Op, subresource string, _, _ runtime.Object) bool {
	return op == Create && subresource == ""
}

func (e countEvaluator) names() []corev1.ResourceName {
	if l := legacyCountName(e.gr); l != "" {
		return []corev1.ResourceName{CountName(e.gr), l}
	}
	return []corev1.ResourceName{CountName(e.gr)}
}

func (e countEvaluator) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	return intersect(names, e.names())
}

func (e countEvaluator) MatchesScope(corev1.ScopedResourceSelectorRequirement, runtime.Object) (bool, error) {
	return false, nil
}

func (e countEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

func (e countEvaluator) Usage(runtime.Object) (corev1.ResourceList, error) {
	out := corev1.ResourceList{}
	for _, n := range e.names() {
		out[n] = one()
	}
	return out, nil
}
