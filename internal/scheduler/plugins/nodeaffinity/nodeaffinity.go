package nodeaffinity

import (
	"context"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// Name is the plugin's upstream name.
const Name = "NodeAffinity"

// ErrReasonPod is the upstream reason.
const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector"

// NodeAffinity is the plugin.
type NodeAffinity struct{}

var (
	_ framework.FilterPlugin   = (*NodeAffinity)(nil)
	_ framework.PreScorePlugin = (*NodeAffinity)(nil)
	_ framework.ScorePlugin    = (*NodeAffinity)(nil)
)

// Name returns Name.
func (*NodeAffinity) Name() string { return Name }

func required(pod *v1.Pod) *v1.NodeSelector {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

func preferred(pod *v1.Pod) []v1.PreferredSchedulingTerm {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// Filter rejects a node that misses the nodeSelector or every required term.
func (*NodeAffinity) Filter(_ context.Context, _ *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo) *framework.Status {
	if !MatchesNodeSelector(pod.Spec.NodeSelector, node.Node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPod)
	}
	if req := required(pod); req != nil && !MatchesTerms(req.NodeSelectorTerms, node.Node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPod)
	}
	return nil
}

// PreScore skips scoring for pods without preferred terms.
func (*NodeAffinity) PreScore(_ context.Context, _ *framework.CycleState, pod *v1.Pod, _ []*framework.NodeInfo) *framework.Status {
	if len(preferred(pod)) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	return nil
}

// Score sums the weights of the preferred terms the node matches.
func (*NodeAffinity) Score(_ context.Context, _ *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	var sum int64
	for _, p := range preferred(pod) {
		if p.Weight != 0 && MatchesTerm(&p.Preference, node.Node) {
			sum += int64(p.Weight)
		}
	}
	return sum, nil
}

// ScoreExtensions returns the plugin.
func (p *NodeAffinity) ScoreExtensions() framework.ScoreExtensions { return p }

// NormalizeScore scales the highest sum to 100.
func (*NodeAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *v1.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
	return nil
}
