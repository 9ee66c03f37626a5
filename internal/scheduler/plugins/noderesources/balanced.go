package noderesources

import (
	"context"
	"math"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// BalancedName is the upstream name of the balanced-allocation plugin.
const BalancedName = "NodeResourcesBalancedAllocation"

// BalancedAllocation prefers nodes whose resource use fractions, after
// placing the pod, are close to each other.
type BalancedAllocation struct {
	resources []v1.ResourceName
}

var (
	_ framework.PreScorePlugin = (*BalancedAllocation)(nil)
	_ framework.ScorePlugin    = (*BalancedAllocation)(nil)
)

// NewBalancedAllocation scores over resources (cpu and memory if empty).
func NewBalancedAllocation(resources []v1.ResourceName) *BalancedAllocation {
	if len(resources) == 0 {
		resources = []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory}
	}
	return &BalancedAllocation{resources: resources}
}

// Name returns BalancedName.
func (*BalancedAllocation) Name() string { return BalancedName }

// PreScore skips pods that request none of the resources (best effort).
func (b *BalancedAllocation) PreScore(_ context.Context, state *framework.CycleState, pod *v1.Pod, _ []*framework.NodeInfo) *framework.Status {
	pi := podInfo(state, pod)
	for _, r := range b.resources {
		if amount(&pi.Requests, r) != 0 {
			if _, ok := state.Read(podInfoKey); !ok {
				state.Write(podInfoKey, pi)
			}
			return nil
		}
	}
	return framework.NewStatus(framework.Skip)
}

// Score is (1 - standard deviation of the use fractions) × 100.
func (b *BalancedAllocation) Score(_ context.Context, state *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	pi := podInfo(state, pod)
	fractions := make([]float64, 0, len(b.resources))
	var total float64
	for _, r := range b.resources {
		alloc := amount(&node.Allocatable, r)
		if alloc == 0 {
			continue
		}
		f := min(float64(requestedWithPod(node, pi, r, false))/float64(alloc), 1)
		fractions = append(fractions, f)
		total += f
	}
	var std float64
	switch {
	case len(fractions) == 2:
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	case len(fractions) > 2:
		mean := total / float64(len(fractions))
		var sq float64
		for _, f := range fractions {
			sq += (f - mean) * (f - mean)
		}
		std = math.Sqrt(sq / float64(len(fractions)))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore)), nil
}

// ScoreExtensions returns nil: scores are already in range.
func (*BalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }
