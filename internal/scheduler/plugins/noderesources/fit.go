package noderesources

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// FitName is the upstream name of the fit plugin.
const FitName = "NodeResourcesFit"

// ScoringStrategyType picks how NodeResourcesFit scores.
type ScoringStrategyType string

// Scoring strategies, as upstream.
const (
	LeastAllocated ScoringStrategyType = "LeastAllocated"
	MostAllocated  ScoringStrategyType = "MostAllocated"
)

// ResourceSpec is one resource the score looks at, with its weight.
type ResourceSpec struct {
	Name   v1.ResourceName
	Weight int64
}

// FitArgs configures NodeResourcesFit.
type FitArgs struct {
	// ScoringStrategy defaults to LeastAllocated.
	ScoringStrategy ScoringStrategyType
	// Resources scored; defaults to cpu and memory with weight 1.
	Resources []ResourceSpec
	// IgnoredResources are extended resources the filter does not check.
	IgnoredResources []v1.ResourceName
}

// DefaultFitArgs returns upstream's defaults.
func DefaultFitArgs() FitArgs {
	return FitArgs{ScoringStrategy: LeastAllocated, Resources: defaultResources()}
}

func defaultResources() []ResourceSpec {
	return []ResourceSpec{{Name: v1.ResourceCPU, Weight: 1}, {Name: v1.ResourceMemory, Weight: 1}}
}

// Fit is the NodeResourcesFit plugin.
type Fit struct {
	args FitArgs
}

var (
	_ framework.PreFilterPlugin = (*Fit)(nil)
	_ framework.FilterPlugin    = (*Fit)(nil)
	_ framework.PreScorePlugin  = (*Fit)(nil)
	_ framework.ScorePlugin     = (*Fit)(nil)
	_ framework.Explainer       = (*Fit)(nil)
)

// NewFit validates args and returns the plugin.
func NewFit(args FitArgs) (*Fit, error) {
	switch args.ScoringStrategy {
	case "":
		args.ScoringStrategy = LeastAllocated
	case LeastAllocated, MostAllocated:
	default:
		return nil, fmt.Errorf("%s: unknown scoring strategy %q", FitName, args.ScoringStrategy)
	}
	if len(args.Resources) == 0 {
		args.Resources = defaultResources()
	}
	for _, r := range args.Resources {
		if r.Weight < 1 || r.Weight > 100 {
			return nil, fmt.Errorf("%s: weight of resource %s must be in 1..100, got %d", FitName, r.Name, r.Weight)
		}
	}
	return &Fit{args: args}, nil
}

// Name returns FitName.
func (*Fit) Name() string { return FitName }

// PreFilter computes the pod's requests once for the cycle.
func (*Fit) PreFilter(_ context.Context, state *framework.CycleState, pod *v1.Pod, _ *framework.Snapshot) *framework.Status {
	state.Write(podInfoKey, state.PodInfo(pod))
	return nil
}

// Filter rejects the node with one reason per short resource: "Too many
// pods", "Insufficient cpu", "Insufficient memory", "Insufficient
// ephemeral-storage", "Insufficient <extended>".
func (f *Fit) Filter(_ context.Context, state *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo) *framework.Status {
	short := f.insufficient(podInfo(state, pod), node)
	if len(short) == 0 {
		return nil
	}
	reasons := make([]string, len(short))
	for i, s := range short {
		reasons[i] = s.reason()
	}
	return framework.NewStatus(framework.Unschedulable, reasons...)
}

// shortage is one resource the node lacks.
type shortage struct {
	name            v1.ResourceName
	requested, free int64
	tooManyPods     bool
}

func (s shortage) reason() string {
	if s.tooManyPods {
		return "Too many pods"
	}
	return "Insufficient " + string(s.name)
}

// insufficient lists the resources the node lacks for pi, in upstream order.
func (f *Fit) insufficient(pi *framework.PodInfo, node *framework.NodeInfo) []shortage {
	var out []shortage
	if int64(len(node.Pods))+1 > node.Allocatable.AllowedPodNumber {
		out = append(out, shortage{name: v1.ResourcePods, tooManyPods: true})
	}
	req := &pi.Requests
	check := func(name v1.ResourceName) {
		want := amount(req, name)
		if want == 0 {
			return
		}
		free := amount(&node.Allocatable, name) - amount(&node.Requested, name)
		if want > free {
			out = append(out, shortage{name: name, requested: want, free: free})
		}
	}
	check(v1.ResourceCPU)
	check(v1.ResourceMemory)
	check(v1.ResourceEphemeralStorage)
	if len(req.Scalar) > 0 {
		names := make([]v1.ResourceName, 0, len(req.Scalar))
		for name := range req.Scalar {
			if !slices.Contains(f.args.IgnoredResources, name) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			check(name)
		}
	}
	return out
}

// PreScore stores the pod's requests when PreFilter did not run.
func (*Fit) PreScore(_ context.Context, state *framework.CycleState, pod *v1.Pod, _ []*framework.NodeInfo) *framework.Status {
	if _, ok := state.Read(podInfoKey); !ok {
		state.Write(podInfoKey, state.PodInfo(pod))
	}
	return nil
}

// Score is the weighted mean over the configured resources of the free
// (LeastAllocated) or used (MostAllocated) share after placing the pod,
// on 0..100; resources the node does not have are left out.
func (f *Fit) Score(_ context.Context, state *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	pi := podInfo(state, pod)
	var sum, weights int64
	for _, r := range f.args.Resources {
		alloc := amount(&node.Allocatable, r.Name)
		if alloc == 0 {
			continue
		}
		used := min(requestedWithPod(node, pi, r.Name, true), alloc)
		var s int64
		if f.args.ScoringStrategy == MostAllocated {
			s = used * framework.MaxNodeScore / alloc
		} else {
			s = (alloc - used) * framework.MaxNodeScore / alloc
		}
		sum += s * r.Weight
		weights += r.Weight
	}
	if weights == 0 {
		return 0, nil
	}
	return sum / weights, nil
}

// ScoreExtensions returns nil: scores are already in range.
func (*Fit) ScoreExtensions() framework.ScoreExtensions { return nil }

// Explain names the cheapest single-resource shortfall among nodes this
// plugin rejected for one resource only: "The pod needs 500m more cpu than
// the best node (node-2) has free."
func (f *Fit) Explain(pod *v1.Pod, snap *framework.Snapshot, statuses map[string]*framework.Status) string {
	pi := framework.NewPodInfo(pod)
	var best *shortage
	bestNode := ""
	for name, st := range statuses {
		if st.Plugin() != FitName || len(st.Reasons()) != 1 {
			continue
		}
		node := snap.ByName[name]
		if node == nil {
			continue
		}
		short := f.insufficient(pi, node)
		if len(short) != 1 || short[0].tooManyPods {
			continue
		}
		s := short[0]
		if best == nil || closer(s, name, *best, bestNode) {
			best, bestNode = &s, name
		}
	}
	if best == nil {
		return ""
	}
	return fmt.Sprintf("The pod needs %s more %s than the best node (%s) has free.",
		formatAmount(best.name, best.requested-best.free), best.name, bestNode)
}

// closer orders shortfalls by the missing share of the request, then node name.
func closer(a shortage, an string, b shortage, bn string) bool {
	// a.missing/a.requested < b.missing/b.requested, without division.
	l := float64(a.requested-a.free) / float64(a.requested)
	r := float64(b.requested-b.free) / float64(b.requested)
	if l != r {
		return l < r
	}
	return strings.Compare(an, bn) < 0
}

func formatAmount(name v1.ResourceName, v int64) string {
	switch name {
	case v1.ResourceCPU:
		return resource.NewMilliQuantity(v, resource.DecimalSI).String()
	case v1.ResourceMemory, v1.ResourceEphemeralStorage:
		return resource.NewQuantity(v, resource.BinarySI).String()
	}
	return resource.NewQuantity(v, resource.DecimalSI).String()
}
