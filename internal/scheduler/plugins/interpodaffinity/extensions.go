package interpodaffinity

import (
	"context"
	"maps"
	"slices"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

var (
	_ framework.PreFilterExtender   = (*InterPodAffinity)(nil)
	_ framework.PreFilterExtensions = (*InterPodAffinity)(nil)
	_ framework.StateCloner         = (*preFilterState)(nil)
)

// PreFilterExtensions returns p: its counts follow pods added to or removed
// from a node during the cycle (preemption victims, nominated pods).
func (p *InterPodAffinity) PreFilterExtensions() framework.PreFilterExtensions { return p }

// AddPod counts podInfo on node in the cycle's PreFilter state.
func (p *InterPodAffinity) AddPod(_ context.Context, state *framework.CycleState, _ *v1.Pod, podInfo *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return p.update(state, podInfo, node, 1)
}

// RemovePod uncounts podInfo on node in the cycle's PreFilter state.
func (p *InterPodAffinity) RemovePod(_ context.Context, state *framework.CycleState, _ *v1.Pod, podInfo *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return p.update(state, podInfo, node, -1)
}

// update adds delta for one existing pod as PreFilter's count would have
// counted it: its required anti-affinity terms matching the incoming pod,
// whether it matches all the incoming pod's affinity terms, and each of
// the incoming pod's anti-affinity terms it matches. Pairs that drop to
// zero are deleted, so "no pod matches anywhere" stays an empty map.
func (p *InterPodAffinity) update(state *framework.CycleState, ex *framework.PodInfo, node *framework.NodeInfo, delta int) *framework.Status {
	v, ok := state.Read(preFilterKey)
	if !ok {
		return framework.AsStatus(errNoState)
	}
	s := v.(*preFilterState)
	if node == nil || node.Node == nil {
		return nil
	}
	n := node.Node
	for i := range ex.Affinity.RequiredAntiAffinity {
		t := &ex.Affinity.RequiredAntiAffinity[i]
		if t.Matches(s.pod.Pod, p.nsLabels) {
			s.existingAnti = addPairDelta(s.existingAnti, n, t.TopologyKey, delta)
			if !slices.Contains(s.existingAntiKeys, t.TopologyKey) {
				s.existingAntiKeys = append(s.existingAntiKeys, t.TopologyKey)
			}
		}
	}
	req, anti := s.pod.Affinity.RequiredAffinity, s.pod.Affinity.RequiredAntiAffinity
	if len(req) > 0 && matchesAll(req, ex.Pod, p.nsLabels) {
		for i := range req {
			s.affinity = addPairDelta(s.affinity, n, req[i].TopologyKey, delta)
		}
	}
	for i := range anti {
		if anti[i].Matches(ex.Pod, p.nsLabels) {
			s.anti = addPairDelta(s.anti, n, anti[i].TopologyKey, delta)
		}
	}
	return nil
}

// addPairDelta adds delta to node's value of key (allocating m if nil) and
// deletes the pair at zero; nodes without the label do not count.
func addPairDelta(m map[topologyPair]int, node *v1.Node, key string, delta int) map[topologyPair]int {
	val, ok := node.Labels[key]
	if !ok {
		return m
	}
	if m == nil {
		m = map[topologyPair]int{}
	}
	tp := topologyPair{key, val}
	m[tp] += delta
	if m[tp] == 0 {
		delete(m, tp)
	}
	return m
}

// CloneState copies the counts; the pod, statuses and lookups are shared.
func (s *preFilterState) CloneState() any {
	c := *s
	c.existingAnti = maps.Clone(s.existingAnti)
	c.affinity = maps.Clone(s.affinity)
	c.anti = maps.Clone(s.anti)
	c.existingAntiKeys = slices.Clone(s.existingAntiKeys)
	return &c
}
