package interpodaffinity

import (
	"fmt"
	"maps"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// TestMemoizedCountEqualsFreshCount: a plugin that has counted before
// (and remembers nodes) counts exactly as a new one, after nodes changed
// in place, were replaced, lost pods, or after namespace labels changed.
func TestMemoizedCountEqualsFreshCount(t *testing.T) {
	const hostname = "kubernetes.io/hostname"
	nsLabels := map[string]labels.Set{"ns": {"team": "x"}}
	lookup := func(ns string) labels.Set { return nsLabels[ns] }
	var infos []*framework.NodeInfo
	for i := range 200 {
		ni := framework.NewNodeInfo(node(fmt.Sprintf("n%03d", i), fmt.Sprintf("z%d", i%5)))
		for j := range i % 3 {
			g := fmt.Sprintf("g%d", (i+j)%3)
			ni.AddPod(framework.NewPodInfo(placed(pod(fmt.Sprintf("p%03d-%d", i, j), "ns", map[string]string{"group": g},
				anti(term(hostname, map[string]string{"group": g}))), ni)))
		}
		infos = append(infos, ni)
	}
	snap := framework.NewSnapshot(infos)
	teamX := v1.PodAffinityTerm{TopologyKey: zone, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": "g1"}},
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}}
	incoming := []*v1.Pod{
		pod("a", "ns", map[string]string{"group": "g1"}, anti(term(hostname, map[string]string{"group": "g1"}))),
		pod("b", "ns", map[string]string{"group": "g1"}, anti(term(zone, map[string]string{"group": "g1"}))),
		pod("c", "ns", map[string]string{"group": "g2"}, affinity(term(zone, map[string]string{"group": "g0"}))),
		pod("d", "ns", map[string]string{"group": "g0"}),
		pod("e", "other", map[string]string{"group": "g0"}),
		pod("f", "ns", map[string]string{"group": "g2"}, anti(teamX)),
	}
	kept := New(Options{Parallelism: 2, NamespaceLabels: lookup})
	changes := []func(){
		func() {},
		func() { // in place: same pointer, one more pod
			n := snap.Nodes[7]
			n.AddPod(framework.NewPodInfo(placed(pod("extra", "ns", map[string]string{"group": "g1"}), n)))
		},
		func() { // replaced by a changed copy, as the cache does
			c := snap.Nodes[11].Clone()
			c.AddPod(framework.NewPodInfo(placed(pod("moved", "ns", map[string]string{"group": "g2"},
				anti(term(zone, map[string]string{"group": "g0"}))), c)))
			snap.Nodes[11] = c
		},
		func() { // a pod leaves
			n := snap.Nodes[5]
			n.RemovePod(string(n.Pods[0].Pod.UID))
		},
		func() { nsLabels["ns"] = labels.Set{"team": "y"} },
	}
	for step, change := range changes {
		change()
		for _, p := range incoming {
			pi := framework.NewPodInfo(p)
			got := kept.count(pi, snap.Nodes)
			want := New(Options{Parallelism: 1, NamespaceLabels: lookup}).count(pi, snap.Nodes)
			for name, pair := range map[string][2]map[topologyPair]int{
				"existingAnti": {want.existingAnti, got.existingAnti},
				"affinity":     {want.affinity, got.affinity},
				"anti":         {want.anti, got.anti},
			} {
				if !maps.Equal(pair[0], pair[1]) {
					t.Errorf("step %d, pod %s, %s: remembered %v, fresh %v", step, p.Name, name, pair[1], pair[0])
				}
			}
		}
	}
}

func placed(p *v1.Pod, n *framework.NodeInfo) *v1.Pod {
	p.Spec.NodeName = n.Name()
	return p
}

func TestMemoKey(t *testing.T) {
	web := map[string]string{"app": "web"}
	base := pod("p", "ns", web, anti(term(zone, web)))
	for _, tc := range []struct {
		name     string
		pod      *v1.Pod
		same, ok bool
	}{
		{name: "same shape, other name", pod: pod("q", "ns", web, anti(term(zone, web))), same: true, ok: true},
		{name: "other namespace", pod: pod("p", "ns2", web, anti(term(zone, web))), ok: true},
		{name: "other labels", pod: pod("p", "ns", map[string]string{"app": "db"}, anti(term(zone, web))), ok: true},
		{name: "affinity instead of anti", pod: pod("p", "ns", web, affinity(term(zone, web))), ok: true},
		{name: "other topology key", pod: pod("p", "ns", web, anti(term("rack", web))), ok: true},
		{name: "other selector", pod: pod("p", "ns", web, anti(term(zone, map[string]string{"app": "db"}))), ok: true},
		{name: "nil selector selects nothing, empty everything", pod: pod("p", "ns", web,
			anti(v1.PodAffinityTerm{TopologyKey: zone}), anti(v1.PodAffinityTerm{TopologyKey: zone, LabelSelector: &metav1.LabelSelector{}})), ok: true},
		{name: "namespace selector by label", pod: pod("p", "ns", web, anti(v1.PodAffinityTerm{TopologyKey: zone,
			LabelSelector: &metav1.LabelSelector{}, NamespaceSelector: &metav1.LabelSelector{MatchLabels: web}})), ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := memoKey(framework.NewPodInfo(base))
			got, ok := memoKey(framework.NewPodInfo(tc.pod))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && (got == want) != tc.same {
				t.Errorf("key %q vs base %q: same = %v, want %v", got, want, got == want, tc.same)
			}
		})
	}
	nothing, _ := memoKey(framework.NewPodInfo(pod("p", "ns", web, anti(v1.PodAffinityTerm{TopologyKey: zone}))))
	everything, _ := memoKey(framework.NewPodInfo(pod("p", "ns", web, anti(v1.PodAffinityTerm{TopologyKey: zone, LabelSelector: &metav1.LabelSelector{}}))))
	if nothing == everything {
		t.Errorf("nil and empty selectors share key %q", nothing)
	}
}
