package podtopologyspread

import (
	"context"
	"fmt"
	"maps"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// TestMemoizedCountsEqualFreshCounts: a plugin that has counted before
// (and remembers nodes) counts exactly as a new one after nodes changed in
// place, were replaced (also with other labels) or lost pods, for filter
// and score constraints of several selectors and namespaces.
func TestMemoizedCountsEqualFreshCounts(t *testing.T) {
	var nodes []*v1.Node
	counts := map[string]int{}
	for i := range 40 {
		n := node(fmt.Sprintf("n%02d", i), fmt.Sprintf("z%d", i%4))
		counts[n.Name] = i % 3
		nodes = append(nodes, n)
	}
	snap := snapshot(nodes, counts)
	webPod := func(name, ns string, n *framework.NodeInfo) *framework.PodInfo {
		return framework.NewPodInfo(&v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(name), Labels: web},
			Spec: v1.PodSpec{NodeName: n.Name()}})
	}
	db := spread(zone, 1, v1.DoNotSchedule)
	db.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
	other := incoming(spread(zone, 1, v1.DoNotSchedule), spread(zone, 1, v1.ScheduleAnyway))
	other.Namespace = "other"
	pods := []*v1.Pod{
		incoming(spread(zone, 1, v1.DoNotSchedule)),
		incoming(spread(zone, 2, v1.DoNotSchedule), spread(v1.LabelHostname, 1, v1.DoNotSchedule)),
		incoming(db),
		incoming(spread(zone, 1, v1.ScheduleAnyway)),
		other,
	}
	changes := []func(){
		func() {},
		func() { snap.Nodes[3].AddPod(webPod("extra", "default", snap.Nodes[3])) },
		func() {
			c := snap.Nodes[6].Clone()
			c.AddPod(webPod("moved", "default", c))
			c.AddPod(webPod("moved-other", "other", c))
			snap.Nodes[6] = c
		},
		func() { snap.Nodes[2].RemovePod(string(snap.Nodes[2].Pods[0].Pod.UID)) },
		func() { // relabelled into another zone, and one without a zone
			relabel := func(i int, z string) {
				c := snap.Nodes[i].Clone()
				c.SetNode(node(c.Name(), z))
				snap.Nodes[i] = c
			}
			relabel(5, "z0")
			relabel(9, "")
		},
	}
	kept := &PodTopologySpread{}
	for step, change := range changes {
		change()
		for i, p := range pods {
			got, want := spreadCounts(t, kept, p, snap), spreadCounts(t, &PodTopologySpread{}, p, snap)
			if !maps.Equal(got, want) {
				t.Errorf("step %d, pod %d: remembered %v, fresh %v", step, i, got, want)
			}
		}
	}
}

// spreadCounts runs PreFilter and PreScore and flattens their counts.
func spreadCounts(t *testing.T, pl *PodTopologySpread, p *v1.Pod, snap *framework.Snapshot) map[string]int {
	t.Helper()
	out := map[string]int{}
	state := framework.NewCycleState(snap)
	if st := pl.PreFilter(context.Background(), state, p, snap); st.IsSuccess() {
		v, _ := state.Read(preFilterKey)
		s := v.(*preFilterState)
		for i, d := range s.domains {
			for val, n := range d.counts {
				out[fmt.Sprintf("filter/%d/%s", i, val)] = n
			}
			out[fmt.Sprintf("filter/%d/min", i)] = d.min
		}
	}
	if st := pl.PreScore(context.Background(), state, p, snap.Nodes); st.IsSuccess() {
		v, _ := state.Read(preScoreKey)
		s := v.(*preScoreState)
		for i, m := range s.counts {
			for val, n := range m {
				out[fmt.Sprintf("score/%d/%s", i, val)] = n
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("pod %s counted nothing", p.Name)
	}
	return out
}
