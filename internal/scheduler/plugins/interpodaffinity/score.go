package interpodaffinity

import (
	"context"
	"math"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// preScoreState maps topology key -> value -> score.
type preScoreState struct {
	scores map[string]map[string]int64
}

func (s *preScoreState) add(node *v1.Node, key string, w int64) {
	val, ok := node.Labels[key]
	if !ok || w == 0 {
		return
	}
	m, ok := s.scores[key]
	if !ok {
		m = map[string]int64{}
		s.scores[key] = m
	}
	m[val] += w
}

// PreScore sums, per topology pair over all nodes, the weights of the
// incoming pod's preferred terms matching existing pods (anti-affinity
// negative), of existing pods' required affinity matching it
// (hardPodAffinityWeight) and of their preferred terms matching it. It
// skips when the pod has no preferred terms and no pod has affinity.
func (p *InterPodAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *v1.Pod, _ []*framework.NodeInfo) *framework.Status {
	pi := state.PodInfo(pod)
	own := len(pi.Affinity.PreferredAffinity)+len(pi.Affinity.PreferredAntiAffinity) > 0
	snap := state.Snapshot()
	if !own {
		found := false
		for _, n := range snap.Nodes {
			if len(n.PodsWithAffinity) > 0 {
				found = true
				break
			}
		}
		if !found {
			return framework.NewStatus(framework.Skip)
		}
	}
	s := &preScoreState{scores: map[string]map[string]int64{}}
	for _, n := range snap.Nodes {
		pods := n.PodsWithAffinity
		if own {
			pods = n.Pods
		}
		for _, ex := range pods {
			p.scoreExisting(s, pi, ex, n.Node)
		}
	}
	state.Write(preScoreKey, s)
	return nil
}

// scoreExisting adds the contributions of one existing pod ex on node.
func (p *InterPodAffinity) scoreExisting(s *preScoreState, pi *framework.PodInfo, ex *framework.PodInfo, node *v1.Node) {
	nsLabels := p.nsLabels
	for _, t := range pi.Affinity.PreferredAffinity {
		if t.Matches(ex.Pod, nsLabels) {
			s.add(node, t.TopologyKey, int64(t.Weight))
		}
	}
	for _, t := range pi.Affinity.PreferredAntiAffinity {
		if t.Matches(ex.Pod, nsLabels) {
			s.add(node, t.TopologyKey, -int64(t.Weight))
		}
	}
	if p.hardWeight > 0 {
		for _, t := range ex.Affinity.RequiredAffinity {
			if t.Matches(pi.Pod, nsLabels) {
				s.add(node, t.TopologyKey, int64(p.hardWeight))
			}
		}
	}
	for _, t := range ex.Affinity.PreferredAffinity {
		if t.Matches(pi.Pod, nsLabels) {
			s.add(node, t.TopologyKey, int64(t.Weight))
		}
	}
	for _, t := range ex.Affinity.PreferredAntiAffinity {
		if t.Matches(pi.Pod, nsLabels) {
			s.add(node, t.TopologyKey, -int64(t.Weight))
		}
	}
}

// Score is the sum of the scores of node's topology pairs.
func (p *InterPodAffinity) Score(_ context.Context, state *framework.CycleState, _ *v1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreKey)
	if !ok {
		return 0, framework.AsStatus(errNoState)
	}
	s := v.(*preScoreState)
	var score int64
	for key, vals := range s.scores {
		if val, ok := node.Node.Labels[key]; ok {
			score += vals[val]
		}
	}
	return score, nil
}

// ScoreExtensions returns p.
func (p *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return p }

// NormalizeScore maps [min, max] onto [0, MaxNodeScore]; all equal is 0.
func (*InterPodAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *v1.Pod, scores []framework.NodeScore) *framework.Status {
	minS, maxS := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range scores {
		minS, maxS = min(minS, s.Score), max(maxS, s.Score)
	}
	diff := maxS - minS
	for i := range scores {
		f := 0.0
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * float64(scores[i].Score-minS) / float64(diff)
		}
		scores[i].Score = int64(f)
	}
	return nil
}
