package interpodaffinity

import (
	"context"
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// TestPreFilterExtensions: after RemovePod/AddPod on a cloned state,
// Filter answers as a fresh PreFilter over the changed cluster would, and
// the original state is untouched.
func TestPreFilterExtensions(t *testing.T) {
	web := map[string]string{"app": "web"}
	db := map[string]string{"app": "db"}
	hostname := "kubernetes.io/hostname"
	for _, tc := range []struct {
		name     string
		existing map[string][]*v1.Pod
		incoming *v1.Pod
		remove   map[string]string // node -> pod name
		add      map[string]*v1.Pod
		same     bool // the change must not change the answer
	}{
		{name: "own anti-affinity: victim removed",
			existing: map[string][]*v1.Pod{"a1": {pod("db-0", "default", db)}, "a2": {pod("db-1", "default", db)}, "b1": {pod("db-2", "default", db)}},
			incoming: pod("web", "default", web, anti(term(hostname, db))), remove: map[string]string{"a1": "db-0"}},
		{name: "own zone anti-affinity: another db stays in the zone",
			existing: map[string][]*v1.Pod{"a1": {pod("db-0", "default", db)}, "a2": {pod("db-1", "default", db)}},
			incoming: pod("web", "default", web, anti(term(zone, db))), remove: map[string]string{"a1": "db-0"}, same: true},
		{name: "existing pod's anti-affinity removed",
			existing: map[string][]*v1.Pod{"a1": {pod("loner", "default", db, anti(term(hostname, web)))}},
			incoming: pod("web", "default", web), remove: map[string]string{"a1": "loner"}},
		{name: "last affinity match removed",
			existing: map[string][]*v1.Pod{"b1": {pod("db-0", "default", db)}},
			incoming: pod("web", "default", web, affinity(term(zone, db))), remove: map[string]string{"b1": "db-0"}},
		{name: "nominated db added",
			existing: map[string][]*v1.Pod{"a1": {pod("db-0", "default", db)}},
			incoming: pod("web", "default", web, anti(term(hostname, db))), add: map[string]*v1.Pod{"b1": pod("db-1", "default", db)}},
		{name: "nominated pod with anti-affinity added",
			existing: map[string][]*v1.Pod{"a1": {pod("x", "default", nil)}},
			incoming: pod("web", "default", web, anti(term(zone, map[string]string{"app": "none"}))),
			add:      map[string]*v1.Pod{"b1": pod("loner", "default", db, anti(term(zone, web)))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := New(Options{Parallelism: 1})
			snap := cluster(tc.existing)
			state := framework.NewCycleState(snap)
			if st := pl.PreFilter(context.Background(), state, tc.incoming, snap); !st.IsSuccess() {
				t.Fatalf("prefilter: %v", st.Code())
			}
			before := filterWith(pl, state, tc.incoming, snap.Nodes)
			sim := state.Clone()
			var changed []*framework.NodeInfo
			for _, n := range snap.Nodes {
				ni := n.Clone()
				for _, pi := range n.Pods {
					if tc.remove[n.Name()] == pi.Pod.Name {
						ni.RemovePod(string(pi.Pod.UID))
						if st := pl.RemovePod(context.Background(), sim, tc.incoming, pi, ni); !st.IsSuccess() {
							t.Fatal(st.Message())
						}
					}
				}
				if p := tc.add[n.Name()]; p != nil {
					p.Spec.NodeName = n.Name()
					pi := framework.NewPodInfo(p)
					ni.AddPod(pi)
					if st := pl.AddPod(context.Background(), sim, tc.incoming, pi, ni); !st.IsSuccess() {
						t.Fatal(st.Message())
					}
				}
				changed = append(changed, ni)
			}
			fresh := framework.NewSnapshot(changed)
			want := filterAll(t, pl, tc.incoming, fresh)
			delete(want, "skip") // Skip: every node passes
			if got := filterWith(pl, sim, tc.incoming, fresh.Nodes); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after the change: %v, a fresh PreFilter gives %v", got, want)
			}
			if (fmt.Sprint(want) == fmt.Sprint(before)) != tc.same {
				t.Errorf("before the change %v, after %v (same: %v)", before, want, tc.same)
			}
			if after := filterWith(pl, state, tc.incoming, snap.Nodes); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("original state changed: %v, was %v", after, before)
			}
		})
	}
}

func filterWith(pl *InterPodAffinity, state *framework.CycleState, p *v1.Pod, nodes []*framework.NodeInfo) map[string]string {
	out := map[string]string{}
	for _, n := range nodes {
		if st := pl.Filter(context.Background(), state, p, n); !st.IsSuccess() {
			out[n.Name()] = st.Code().String() + ": " + st.Message()
		}
	}
	return out
}
