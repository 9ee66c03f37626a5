package podtopologyspread

import (
	"context"
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// TestPreFilterExtensions: RemovePod and AddPod move the domain counts and
// the global minimum as a fresh PreFilter over the changed cluster would,
// only for pods the constraint counts, and only in the cloned state.
func TestPreFilterExtensions(t *testing.T) {
	nodes := []*v1.Node{node("a1", "a"), node("a2", "a"), node("b1", "b")}
	other := func(ns string, labels map[string]string) *framework.PodInfo {
		return framework.NewPodInfo(&v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: ns, UID: "x", Labels: labels}})
	}
	type change struct {
		remove bool
		node   string
		pod    func(snap *framework.Snapshot) *framework.PodInfo
	}
	first := func(node string) func(*framework.Snapshot) *framework.PodInfo {
		return func(s *framework.Snapshot) *framework.PodInfo { return s.ByName[node].Pods[0] }
	}
	for _, tc := range []struct {
		name    string
		changes []change
		want    string // which nodes fit, in node order
	}{
		{"unchanged", nil, "[a2 b1]"},
		{"one of two removed from a1: still skew 2", []change{{true, "a1", first("a1")}}, "[a2 b1]"},
		{"both removed from a1", []change{{true, "a1", first("a1")}, {true, "a1", first("a1")}}, "[a1 a2 b1]"},
		{"removing a2's pod lowers the minimum", []change{{true, "a2", first("a2")}}, "[a2]"},
		{"adding to b1 raises its count", []change{{false, "b1", func(*framework.Snapshot) *framework.PodInfo { return other("default", web) }}}, "[a2]"},
		{"other namespace does not count", []change{{true, "a2", func(*framework.Snapshot) *framework.PodInfo { return other("kube-system", web) }}}, "[a2 b1]"},
		{"other labels do not count", []change{{true, "a2", func(*framework.Snapshot) *framework.PodInfo { return other("default", nil) }}}, "[a2 b1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := &PodTopologySpread{}
			pod := incoming(spread(v1.LabelHostname, 1, v1.DoNotSchedule))
			snap := snapshot(nodes, map[string]int{"a1": 3, "a2": 1, "b1": 1})
			state := framework.NewCycleState(snap)
			if st := pl.PreFilter(context.Background(), state, pod, snap); !st.IsSuccess() {
				t.Fatalf("prefilter: %v", st.Code())
			}
			before := fits(pl, state, pod, snap.Nodes)
			sim := state.Clone()
			changed := map[string]*framework.NodeInfo{}
			for _, c := range tc.changes {
				ni := changed[c.node]
				if ni == nil {
					ni = snap.ByName[c.node].Clone()
					changed[c.node] = ni
				}
				pi := c.pod(&framework.Snapshot{ByName: map[string]*framework.NodeInfo{c.node: ni}})
				var st *framework.Status
				if c.remove {
					ni.RemovePod(string(pi.Pod.UID))
					st = pl.RemovePod(context.Background(), sim, pod, pi, ni)
				} else {
					ni.AddPod(pi)
					st = pl.AddPod(context.Background(), sim, pod, pi, ni)
				}
				if !st.IsSuccess() {
					t.Fatalf("extension: %v", st.Message())
				}
			}
			if got := fits(pl, sim, pod, snap.Nodes); got != tc.want {
				t.Errorf("fits %s, want %s", got, tc.want)
			}
			if after := fits(pl, state, pod, snap.Nodes); after != before {
				t.Errorf("original state changed: fits %s, was %s", after, before)
			}
		})
	}
}

func fits(pl *PodTopologySpread, state *framework.CycleState, pod *v1.Pod, nodes []*framework.NodeInfo) string {
	var out []string
	for _, n := range nodes {
		if pl.Filter(context.Background(), state, pod, n).IsSuccess() {
			out = append(out, n.Name())
		}
	}
	return fmt.Sprint(out)
}
