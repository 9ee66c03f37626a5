package podtopologyspread

import (
	"slices"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/klog/v2"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodeaffinity"
)

// constraint is a parsed topology spread constraint.
type constraint struct {
	MaxSkew     int32
	TopologyKey string
	Selector    labels.Selector
	// match is Selector for counting pods (set with it: withSelector).
	match framework.LabelMatcher
	// MinDomains is 1 when unset.
	MinDomains int32
	// HonorAffinity and HonorTaints say which nodes count (defaults:
	// nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore).
	HonorAffinity bool
	HonorTaints   bool
}

// constraints returns the constraints with the given action that apply to
// pod: its own, or when it has none the plugin's defaults with the
// selector built from what selects the pod (none when nothing does).
// defaulted reports the latter.
func (p *PodTopologySpread) constraints(pod *v1.Pod, action v1.UnsatisfiableConstraintAction) (cs []constraint, defaulted bool) {
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		return parseConstraints(pod.Spec.TopologySpreadConstraints, pod.Labels, action), false
	}
	defaults := p.args.DefaultConstraints
	if p.args.DefaultingType != ListDefaulting {
		defaults = p.system
		if defaults == nil {
			defaults = SystemDefaultConstraints()
		}
	}
	if !slices.ContainsFunc(defaults, func(c v1.TopologySpreadConstraint) bool { return c.WhenUnsatisfiable == action }) {
		return nil, false
	}
	sel := DefaultSelector(pod, p.workloads)
	if sel.Empty() {
		return nil, false
	}
	// Default constraints have no selector of their own (Args.Validate),
	// so each parses and then takes sel.
	cs = parseConstraints(defaults, pod.Labels, action)
	for i := range cs {
		cs[i].withSelector(sel)
	}
	return cs, len(cs) > 0
}

// systemDefaulted reports whether the defaults in use are the system ones,
// which do not require nodes to have every topology key when scoring.
func (p *PodTopologySpread) systemDefaulted() bool {
	return p.args.DefaultingType != ListDefaulting
}

// parseConstraints parses the constraints with the given action; ones
// whose selector does not parse are dropped (validation rejects them).
func parseConstraints(list []v1.TopologySpreadConstraint, podLabels map[string]string, action v1.UnsatisfiableConstraintAction) []constraint {
	var out []constraint
	for i := range list {
		c := &list[i]
		if c.WhenUnsatisfiable != action {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			continue
		}
		for _, k := range c.MatchLabelKeys {
			if v, ok := podLabels[k]; ok {
				if r, err := labels.NewRequirement(k, selection.In, []string{v}); err == nil {
					sel = sel.Add(*r)
				}
			}
		}
		pc := constraint{MaxSkew: c.MaxSkew, TopologyKey: c.TopologyKey, MinDomains: 1,
			HonorAffinity: c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == v1.NodeInclusionPolicyHonor,
			HonorTaints:   c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == v1.NodeInclusionPolicyHonor}
		if c.MinDomains != nil {
			pc.MinDomains = *c.MinDomains
		}
		pc.withSelector(sel)
		out = append(out, pc)
	}
	return out
}

// withSelector sets the constraint's selector.
func (c *constraint) withSelector(sel labels.Selector) {
	c.Selector, c.match = sel, framework.NewLabelMatcher(sel)
}

// hasAllKeys reports whether node has every constraint's topology key.
func hasAllKeys(node *v1.Node, cs []constraint) bool {
	for i := range cs {
		if _, ok := node.Labels[cs[i].TopologyKey]; !ok {
			return false
		}
	}
	return true
}

// nodeCounts reports whether node's pods count for c given the incoming
// pod's node selector, required node affinity and tolerations.
func (c *constraint) nodeCounts(pod *v1.Pod, node *v1.Node) bool {
	if c.HonorAffinity {
		if !nodeaffinity.MatchesNodeSelector(pod.Spec.NodeSelector, node) {
			return false
		}
		if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil &&
			!nodeaffinity.MatchesTerms(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms, node) {
			return false
		}
	}
	if c.HonorTaints {
		for i := range node.Spec.Taints {
			t := &node.Spec.Taints[i]
			if (t.Effect == v1.TaintEffectNoSchedule || t.Effect == v1.TaintEffectNoExecute) && !tolerates(pod.Spec.Tolerations, t) {
				return false
			}
		}
	}
	return true
}

func tolerates(tolerations []v1.Toleration, taint *v1.Taint) bool {
	for i := range tolerations {
		if tolerations[i].ToleratesTaint(klog.Background(), taint, true) {
			return true
		}
	}
	return false
}

// countMatching counts the pods of ns that sel selects and that are not
// being deleted.
func countMatching(pods []*framework.PodInfo, sel *framework.LabelMatcher, ns string) int {
	n := 0
	for _, pi := range pods {
		p := pi.Pod
		if p.Namespace == ns && p.DeletionTimestamp == nil && sel.Matches(p.Labels) {
			n++
		}
	}
	return n
}
