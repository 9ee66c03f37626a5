package noderesources

import (
	"context"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// rl parses "cpu=1,memory=2Gi" into a ResourceList.
func rl(s string) v1.ResourceList {
	out := v1.ResourceList{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out[v1.ResourceName(k)] = resource.MustParse(v)
	}
	return out
}

func podReq(name, requests string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name)},
		Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "c", Resources: v1.ResourceRequirements{Requests: rl(requests)}}}},
	}
}

func nodeWith(name, allocatable string, pods ...*v1.Pod) *framework.NodeInfo {
	n := framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: v1.NodeStatus{Allocatable: rl(allocatable)}})
	for _, p := range pods {
		n.AddPod(framework.NewPodInfo(p))
	}
	return n
}

func TestFitFilter(t *testing.T) {
	const alloc = "cpu=4,memory=8Gi,pods=2,ephemeral-storage=10Gi,example.com/gpu=1"
	for _, tc := range []struct {
		name     string
		existing []*v1.Pod
		pod      *v1.Pod
		want     string
	}{
		{"fits", nil, podReq("p", "cpu=4,memory=8Gi"), ""},
		{"cpu", []*v1.Pod{podReq("e", "cpu=1")}, podReq("p", "cpu=3500m"), "Insufficient cpu"},
		{"cpu and memory", []*v1.Pod{podReq("e", "cpu=1,memory=1Gi")}, podReq("p", "cpu=4,memory=8Gi"), "Insufficient cpu, Insufficient memory"},
		{"ephemeral storage", nil, podReq("p", "ephemeral-storage=11Gi"), "Insufficient ephemeral-storage"},
		{"extended resource", nil, podReq("p", "example.com/gpu=2"), "Insufficient example.com/gpu"},
		{"extended resource the node lacks", nil, podReq("p", "example.com/fpga=1"), "Insufficient example.com/fpga"},
		{"pod count", []*v1.Pod{podReq("e1", ""), podReq("e2", "")}, podReq("p", ""), "Too many pods"},
		{"pod count and cpu", []*v1.Pod{podReq("e1", "cpu=4"), podReq("e2", "")}, podReq("p", "cpu=1"), "Too many pods, Insufficient cpu"},
		{"empty pod fits a full node", []*v1.Pod{podReq("e1", "cpu=4,memory=8Gi")}, podReq("p", ""), ""},
	} {
		fit, err := NewFit(DefaultFitArgs())
		if err != nil {
			t.Fatal(err)
		}
		state := framework.NewCycleState(nil)
		fit.PreFilter(context.Background(), state, tc.pod, nil)
		st := fit.Filter(context.Background(), state, tc.pod, nodeWith("n", alloc, tc.existing...))
		if st.Message() != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, st.Message(), tc.want)
		}
		if tc.want != "" && st.Code() != framework.Unschedulable {
			t.Errorf("%s: code %v", tc.name, st.Code())
		}
	}
}

func TestFitScore(t *testing.T) {
	node := nodeWith("n", "cpu=4,memory=8Gi,pods=110", podReq("e", "cpu=1,memory=2Gi"))
	for _, tc := range []struct {
		name     string
		strategy ScoringStrategyType
		pod      *v1.Pod
		want     int64
	}{
		// After placing: cpu 2/4, memory 4/8.
		{"least allocated", LeastAllocated, podReq("p", "cpu=1,memory=2Gi"), 50},
		{"most allocated", MostAllocated, podReq("p", "cpu=1,memory=2Gi"), 50},
		// cpu 4/4 → least 0, memory 3/8 → least 62: mean 31.
		{"least allocated uneven", LeastAllocated, podReq("p", "cpu=3,memory=1Gi"), 31},
		// Requests missing count 100m cpu and 200Mi memory for scoring.
		{"best effort uses defaults", LeastAllocated, podReq("p", ""), (((4000 - 1100) * 100 / 4000) + ((8192 - 2248) * 100 / 8192)) / 2},
	} {
		args := DefaultFitArgs()
		args.ScoringStrategy = tc.strategy
		fit, err := NewFit(args)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := fit.Score(context.Background(), framework.NewCycleState(nil), tc.pod, node)
		if got != tc.want {
			t.Errorf("%s: score %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestNewFitRejectsBadArgs(t *testing.T) {
	for _, args := range []FitArgs{
		{ScoringStrategy: "Random"},
		{Resources: []ResourceSpec{{Name: v1.ResourceCPU, Weight: 0}}},
	} {
		if _, err := NewFit(args); err == nil {
			t.Errorf("NewFit(%+v) accepted bad args", args)
		}
	}
}

func TestBalancedAllocation(t *testing.T) {
	node := nodeWith("n", "cpu=4,memory=8Gi,pods=110")
	for _, tc := range []struct {
		name string
		pod  *v1.Pod
		want int64
		skip bool
	}{
		{"even", podReq("p", "cpu=2,memory=4Gi"), 100, false},
		// cpu 1.0, memory 0.25: std 0.375.
		{"uneven", podReq("p", "cpu=4,memory=2Gi"), 62, false},
		{"over capacity is capped", podReq("p", "cpu=8,memory=8Gi"), 100, false},
		{"best effort skipped", podReq("p", ""), 0, true},
	} {
		b := NewBalancedAllocation(nil)
		state := framework.NewCycleState(nil)
		st := b.PreScore(context.Background(), state, tc.pod, nil)
		if st.IsSkip() != tc.skip {
			t.Errorf("%s: skip %v, want %v", tc.name, st.IsSkip(), tc.skip)
		}
		if tc.skip {
			continue
		}
		got, _ := b.Score(context.Background(), state, tc.pod, node)
		if got != tc.want {
			t.Errorf("%s: score %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestExplain(t *testing.T) {
	fit, _ := NewFit(DefaultFitArgs())
	snap := framework.NewSnapshot([]*framework.NodeInfo{
		nodeWith("a", "cpu=2,memory=8Gi,pods=110"),
		nodeWith("b", "cpu=3,memory=8Gi,pods=110"),
		nodeWith("c", "cpu=8,memory=1Gi,pods=110"),
	})
	pod := podReq("p", "cpu=3500m,memory=2Gi")
	statuses := map[string]*framework.Status{}
	for _, n := range snap.Nodes {
		statuses[n.Name()] = fit.Filter(context.Background(), framework.NewCycleState(nil), pod, n).WithPlugin(FitName)
	}
	want := "The pod needs 500m more cpu than the best node (b) has free."
	if got := fit.Explain(pod, snap, statuses); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	statuses["b"] = framework.NewStatus(framework.UnschedulableAndUnresolvable, "tainted").WithPlugin("TaintToleration")
	statuses["a"] = framework.NewStatus(framework.UnschedulableAndUnresolvable, "tainted").WithPlugin("TaintToleration")
	want = "The pod needs 1Gi more memory than the best node (c) has free."
	if got := fit.Explain(pod, snap, statuses); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFitFilterAllocs keeps the hot path free of allocations when a node fits.
func TestFitFilterAllocs(t *testing.T) {
	fit, _ := NewFit(DefaultFitArgs())
	pod := podReq("p", "cpu=1,memory=1Gi")
	node := nodeWith("n", "cpu=4,memory=8Gi,pods=110", podReq("e", "cpu=1"))
	state := framework.NewCycleState(nil)
	fit.PreFilter(context.Background(), state, pod, nil)
	allocs := testing.AllocsPerRun(100, func() {
		if st := fit.Filter(context.Background(), state, pod, node); !st.IsSuccess() {
			t.Fatal(st.Message())
		}
		fit.Score(context.Background(), state, pod, node)
	})
	if allocs != 0 {
		t.Errorf("Filter+Score allocate %v times per node, want 0", allocs)
	}
}
