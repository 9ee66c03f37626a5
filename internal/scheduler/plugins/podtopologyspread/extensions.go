package podtopologyspread

import (
	"context"
	"maps"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

var (
	_ framework.PreFilterExtender   = (*PodTopologySpread)(nil)
	_ framework.PreFilterExtensions = (*PodTopologySpread)(nil)
	_ framework.StateCloner         = (*preFilterState)(nil)
)

// PreFilterExtensions returns p: its domain counts follow pods added to or
// removed from a node during the cycle (preemption victims, nominated
// pods).
func (p *PodTopologySpread) PreFilterExtensions() framework.PreFilterExtensions { return p }

// AddPod counts podInfo in node's domains.
func (*PodTopologySpread) AddPod(_ context.Context, state *framework.CycleState, podToSchedule *v1.Pod, podInfo *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return update(state, podToSchedule, podInfo.Pod, node, 1)
}

// RemovePod uncounts podInfo in node's domains.
func (*PodTopologySpread) RemovePod(_ context.Context, state *framework.CycleState, podToSchedule *v1.Pod, podInfo *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return update(state, podToSchedule, podInfo.Pod, node, -1)
}

// update adds delta to the count of each constraint selecting changed in
// node's domain, for the nodes and pods PreFilter counts (same namespace,
// not terminating, node with every key and passing the inclusion
// policies), and recomputes the global minimum.
func update(state *framework.CycleState, pod, changed *v1.Pod, node *framework.NodeInfo, delta int) *framework.Status {
	v, ok := state.Read(preFilterKey)
	if !ok {
		return framework.AsStatus(errNoState)
	}
	s := v.(*preFilterState)
	if node == nil || node.Node == nil || changed.Namespace != pod.Namespace || changed.DeletionTimestamp != nil ||
		!hasAllKeys(node.Node, s.constraints) {
		return nil
	}
	set := labels.Set(changed.Labels)
	for i := range s.constraints {
		c := &s.constraints[i]
		if !c.Selector.Matches(set) || !c.nodeCounts(pod, node.Node) {
			continue
		}
		d := &s.domains[i]
		d.counts[node.Node.Labels[c.TopologyKey]] += delta
		d.setMin(c.MinDomains)
	}
	return nil
}

// CloneState copies the domain counts; constraints and statuses are
// shared.
func (s *preFilterState) CloneState() any {
	c := *s
	c.domains = make([]domains, len(s.domains))
	for i, d := range s.domains {
		c.domains[i] = domains{counts: maps.Clone(d.counts), min: d.min}
	}
	return &c
}
