package podtopologyspread

import (
	"context"
	"math"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

type preScoreState struct {
	constraints []constraint
	// counts per constraint per topology value (unused for hostname).
	counts []map[string]int
	// weights are log(domains+2) per constraint.
	weights []float64
	// ignored are feasible nodes lacking a topology key.
	ignored sets.Set[string]
	ns      string
}

// PreScore counts, for each ScheduleAnyway constraint, the matching pods in
// each topology value present among the feasible nodes. No constraint:
// Skip.
//
// Nodes must have every topology key to count or be scored, except under
// the system default constraints: then a node lacking a key scores on the
// constraints it has.
func (p *PodTopologySpread) PreScore(_ context.Context, state *framework.CycleState, pod *v1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	cs, defaulted := p.constraints(pod, v1.ScheduleAnyway)
	if len(cs) == 0 || len(nodes) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	requireAll := !defaulted || !p.systemDefaulted()
	s := &preScoreState{constraints: cs, counts: make([]map[string]int, len(cs)), weights: make([]float64, len(cs)),
		ignored: sets.New[string](), ns: pod.Namespace}
	sizes := make([]int, len(cs))
	for i := range cs {
		s.counts[i] = map[string]int{}
	}
	for _, n := range nodes {
		if requireAll && !hasAllKeys(n.Node, cs) {
			s.ignored.Insert(n.Name())
			continue
		}
		for i := range cs {
			if cs[i].TopologyKey == v1.LabelHostname {
				continue
			}
			val := n.Node.Labels[cs[i].TopologyKey]
			if _, ok := s.counts[i][val]; !ok {
				s.counts[i][val] = 0
				sizes[i]++
			}
		}
	}
	for i := range cs {
		if cs[i].TopologyKey == v1.LabelHostname {
			sizes[i] = len(nodes) - s.ignored.Len()
		}
		s.weights[i] = math.Log(float64(sizes[i] + 2))
	}
	all := state.Snapshot().Nodes
	matches := p.takeMatches(cs, pod.Namespace, len(all))
	defer p.matches.Put(matches)
	for pos, n := range all {
		if requireAll && !hasAllKeys(n.Node, cs) {
			continue
		}
		for i := range cs {
			c := &cs[i]
			if c.TopologyKey == v1.LabelHostname || !c.nodeCounts(pod, n.Node) {
				continue
			}
			val := n.Node.Labels[c.TopologyKey]
			if _, ok := s.counts[i][val]; ok {
				s.counts[i][val] += matchesAt(matches, pos, n, cs, pod.Namespace).per[i].n
			}
		}
	}
	state.Write(preScoreKey, s)
	return nil
}

// Score is, summed over constraints, count*weight + maxSkew-1, rounded;
// lower is better until NormalizeScore reverses it.
func (*PodTopologySpread) Score(_ context.Context, state *framework.CycleState, _ *v1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreKey)
	if !ok {
		return 0, framework.AsStatus(errNoState)
	}
	s := v.(*preScoreState)
	if s.ignored.Has(node.Name()) {
		return 0, nil
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		val, ok := node.Node.Labels[c.TopologyKey]
		if !ok {
			continue
		}
		var cnt int
		if c.TopologyKey == v1.LabelHostname {
			cnt = countMatching(node.Pods, &c.match, s.ns)
		} else {
			cnt = s.counts[i][val]
		}
		score += float64(cnt)*s.weights[i] + float64(c.MaxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// ScoreExtensions returns p.
func (p *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return p }

// NormalizeScore maps scores to MaxNodeScore*(max+min-s)/max (all
// MaxNodeScore when max is 0); ignored nodes get 0.
func (*PodTopologySpread) NormalizeScore(_ context.Context, state *framework.CycleState, _ *v1.Pod, scores []framework.NodeScore) *framework.Status {
	v, ok := state.Read(preScoreKey)
	if !ok {
		return framework.AsStatus(errNoState)
	}
	s := v.(*preScoreState)
	minS, maxS := int64(math.MaxInt64), int64(0)
	for _, sc := range scores {
		if s.ignored.Has(sc.Name) {
			continue
		}
		minS, maxS = min(minS, sc.Score), max(maxS, sc.Score)
	}
	for i := range scores {
		switch {
		case s.ignored.Has(scores[i].Name):
			scores[i].Score = 0
		case maxS == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (maxS + minS - scores[i].Score) / maxS
		}
	}
	return nil
}
