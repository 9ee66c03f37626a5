package framework

import (
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/sets"
)

// AffinityTerm is a parsed pod (anti-)affinity term: which pods it selects
// (namespaces and labels) and the topology key they are grouped by.
type AffinityTerm struct {
	// Namespaces are the namespaces named by the term; with a nil
	// NamespaceSelector and no names, the pod's own namespace.
	Namespaces sets.Set[string]
	// onlyNamespace is the one namespace of Namespaces when it has exactly
	// one and there is no NamespaceSelector (the common case), so Matches
	// compares strings instead of hashing.
	onlyNamespace string
	// NamespaceSelector selects namespaces by their labels; nil selects
	// none, an empty selector all of them.
	NamespaceSelector labels.Selector
	// Selector selects pods by labels, including matchLabelKeys and
	// mismatchLabelKeys taken from the owning pod's labels.
	Selector    labels.Selector
	TopologyKey string
	// match is Selector for fast matching (zero: ask Selector).
	match LabelMatcher
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// Matches reports whether the term selects pod. nsLabels returns a
// namespace's labels (nil when unknown); it is called only for a term
// with a non-empty namespaceSelector and may itself be nil, in which case
// only named namespaces and the select-all selector match.
func (t *AffinityTerm) Matches(pod *v1.Pod, nsLabels func(ns string) labels.Set) bool {
	if t.onlyNamespace != "" {
		if pod.Namespace != t.onlyNamespace {
			return false
		}
	} else if !t.Namespaces.Has(pod.Namespace) && !t.namespaceSelected(pod.Namespace, nsLabels) {
		return false
	}
	if t.match.sel != nil {
		return t.match.Matches(pod.Labels)
	}
	return t.Selector.Matches(labels.Set(pod.Labels))
}

// UsesNamespaceLabels reports whether Matches may ask for namespace labels
// (a non-empty namespaceSelector): its answer may then change while the
// pods stay the same.
func (t *AffinityTerm) UsesNamespaceLabels() bool {
	return t.onlyNamespace == "" && t.NamespaceSelector != nil && !t.NamespaceSelector.Empty()
}

func (t *AffinityTerm) namespaceSelected(ns string, nsLabels func(ns string) labels.Set) bool {
	if t.NamespaceSelector == nil {
		return false
	}
	if t.NamespaceSelector.Empty() {
		return true
	}
	if nsLabels == nil {
		return false
	}
	l := nsLabels(ns)
	return l != nil && t.NamespaceSelector.Matches(l)
}

// newAffinityTerm parses term of pod; ok is false for a term whose
// selectors do not parse (the API server rejects those, so this only
// guards against a pod that bypassed validation).
func newAffinityTerm(pod *v1.Pod, term *v1.PodAffinityTerm) (AffinityTerm, bool) {
	t := AffinityTerm{Namespaces: sets.New(term.Namespaces...), TopologyKey: term.TopologyKey}
	if len(term.Namespaces) == 0 && term.NamespaceSelector == nil {
		t.Namespaces.Insert(pod.Namespace)
	}
	if term.NamespaceSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(term.NamespaceSelector)
		if err != nil {
			return t, false
		}
		t.NamespaceSelector = sel
	}
	if t.NamespaceSelector == nil && t.Namespaces.Len() == 1 {
		t.onlyNamespace = t.Namespaces.UnsortedList()[0]
	}
	sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
	if err != nil {
		return t, false
	}
	t.Selector = withLabelKeys(sel, pod.Labels, term.MatchLabelKeys, term.MismatchLabelKeys)
	t.match = NewLabelMatcher(t.Selector)
	return t, true
}

// withLabelKeys adds "key in (pod's value)" for matchLabelKeys and "key
// notin (pod's value)" for mismatchLabelKeys; keys the pod lacks are
// ignored, as upstream.
func withLabelKeys(sel labels.Selector, podLabels map[string]string, match, mismatch []string) labels.Selector {
	add := func(keys []string, op selection.Operator) {
		for _, k := range keys {
			v, ok := podLabels[k]
			if !ok {
				continue
			}
			if r, err := labels.NewRequirement(k, op, []string{v}); err == nil {
				sel = sel.Add(*r)
			}
		}
	}
	add(match, selection.In)
	add(mismatch, selection.NotIn)
	return sel
}

func parseTerms(pod *v1.Pod, terms []v1.PodAffinityTerm) []AffinityTerm {
	var out []AffinityTerm
	for i := range terms {
		if t, ok := newAffinityTerm(pod, &terms[i]); ok {
			out = append(out, t)
		}
	}
	return out
}

func parseWeightedTerms(pod *v1.Pod, terms []v1.WeightedPodAffinityTerm) []WeightedAffinityTerm {
	var out []WeightedAffinityTerm
	for i := range terms {
		if t, ok := newAffinityTerm(pod, &terms[i].PodAffinityTerm); ok {
			out = append(out, WeightedAffinityTerm{AffinityTerm: t, Weight: terms[i].Weight})
		}
	}
	return out
}

// AffinityInfo holds a pod's parsed inter-pod affinity, computed once per
// PodInfo.
type AffinityInfo struct {
	RequiredAffinity      []AffinityTerm
	RequiredAntiAffinity  []AffinityTerm
	PreferredAffinity     []WeightedAffinityTerm
	PreferredAntiAffinity []WeightedAffinityTerm
}

func newAffinityInfo(pod *v1.Pod) AffinityInfo {
	var a AffinityInfo
	aff := pod.Spec.Affinity
	if aff == nil {
		return a
	}
	if pa := aff.PodAffinity; pa != nil {
		a.RequiredAffinity = parseTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution)
		a.PreferredAffinity = parseWeightedTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := aff.PodAntiAffinity; pa != nil {
		a.RequiredAntiAffinity = parseTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution)
		a.PreferredAntiAffinity = parseWeightedTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	return a
}

// HasAffinity reports whether the pod has any affinity or anti-affinity
// term (upstream's PodsWithAffinity membership).
func (a *AffinityInfo) HasAffinity() bool {
	return len(a.RequiredAffinity)+len(a.RequiredAntiAffinity)+len(a.PreferredAffinity)+len(a.PreferredAntiAffinity) > 0
}
