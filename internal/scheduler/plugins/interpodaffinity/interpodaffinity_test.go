package interpodaffinity

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

const zone = "topology.kubernetes.io/zone"

func node(name, z string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name, zone: z}}}
}

func term(key string, sel map[string]string) v1.PodAffinityTerm {
	return v1.PodAffinityTerm{TopologyKey: key, LabelSelector: &metav1.LabelSelector{MatchLabels: sel}}
}

type podOpt func(*v1.Pod)

func pod(name, ns string, lbls map[string]string, opts ...podOpt) *v1.Pod {
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(ns + "/" + name), Labels: lbls},
		Spec: v1.PodSpec{Affinity: &v1.Affinity{PodAffinity: &v1.PodAffinity{}, PodAntiAffinity: &v1.PodAntiAffinity{}}}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func affinity(t v1.PodAffinityTerm) podOpt {
	return func(p *v1.Pod) {
		pa := p.Spec.Affinity.PodAffinity
		pa.RequiredDuringSchedulingIgnoredDuringExecution = append(pa.RequiredDuringSchedulingIgnoredDuringExecution, t)
	}
}

func anti(t v1.PodAffinityTerm) podOpt {
	return func(p *v1.Pod) {
		pa := p.Spec.Affinity.PodAntiAffinity
		pa.RequiredDuringSchedulingIgnoredDuringExecution = append(pa.RequiredDuringSchedulingIgnoredDuringExecution, t)
	}
}

func preferred(w int32, t v1.PodAffinityTerm, isAnti bool) podOpt {
	return func(p *v1.Pod) {
		wt := v1.WeightedPodAffinityTerm{Weight: w, PodAffinityTerm: t}
		if isAnti {
			pa := p.Spec.Affinity.PodAntiAffinity
			pa.PreferredDuringSchedulingIgnoredDuringExecution = append(pa.PreferredDuringSchedulingIgnoredDuringExecution, wt)
			return
		}
		pa := p.Spec.Affinity.PodAffinity
		pa.PreferredDuringSchedulingIgnoredDuringExecution = append(pa.PreferredDuringSchedulingIgnoredDuringExecution, wt)
	}
}

// cluster: a1, a2 in zone a; b1 in zone b; existing pods placed by node name.
func cluster(existing map[string][]*v1.Pod) *framework.Snapshot {
	var infos []*framework.NodeInfo
	for _, n := range []*v1.Node{node("a1", "a"), node("a2", "a"), node("b1", "b")} {
		ni := framework.NewNodeInfo(n)
		for _, p := range existing[n.Name] {
			p.Spec.NodeName = n.Name
			ni.AddPod(framework.NewPodInfo(p))
		}
		infos = append(infos, ni)
	}
	return framework.NewSnapshot(infos)
}

func filterAll(t *testing.T, pl *InterPodAffinity, p *v1.Pod, snap *framework.Snapshot) map[string]string {
	t.Helper()
	state := framework.NewCycleState(snap)
	out := map[string]string{}
	st := pl.PreFilter(context.Background(), state, p, snap)
	if st.IsSkip() {
		out["skip"] = "true"
		return out
	}
	for _, n := range snap.Nodes {
		if st := pl.Filter(context.Background(), state, p, n); !st.IsSuccess() {
			out[n.Name()] = st.Code().String() + ": " + st.Message()
		}
	}
	return out
}

func TestFilter(t *testing.T) {
	web := map[string]string{"app": "web"}
	db := map[string]string{"app": "db"}
	hostname := "kubernetes.io/hostname"
	for _, tc := range []struct {
		name     string
		existing map[string][]*v1.Pod
		pod      *v1.Pod
		nsLabels map[string]labels.Set
		want     map[string]string
	}{
		{name: "no terms anywhere skips", pod: pod("p", "default", web), existing: map[string][]*v1.Pod{"a1": {pod("x", "default", db)}},
			want: map[string]string{"skip": "true"}},
		{name: "affinity to zone of db", pod: pod("p", "default", web, affinity(term(zone, db))),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "default", db)}},
			want:     map[string]string{"a1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "a2": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch}},
		{name: "affinity ignores other namespace", pod: pod("p", "default", web, affinity(term(zone, db))),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "other", db)}},
			want:     map[string]string{"a1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "a2": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "b1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch}},
		{name: "first pod of a self-affine group fits anywhere", pod: pod("p", "default", web, affinity(term(zone, web))),
			want: map[string]string{}},
		{name: "self-affine pod not matching itself fits nowhere", pod: pod("p", "default", db, affinity(term(zone, web))),
			want: map[string]string{"a1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "a2": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "b1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch}},
		{name: "anti-affinity per hostname", pod: pod("p", "default", web, anti(term(hostname, web))),
			existing: map[string][]*v1.Pod{"a1": {pod("x", "default", web)}},
			want:     map[string]string{"a1": "Unschedulable: " + ReasonAntiAffinityRulesNotMatch}},
		{name: "anti-affinity per zone", pod: pod("p", "default", web, anti(term(zone, web))),
			existing: map[string][]*v1.Pod{"a1": {pod("x", "default", web)}},
			want:     map[string]string{"a1": "Unschedulable: " + ReasonAntiAffinityRulesNotMatch, "a2": "Unschedulable: " + ReasonAntiAffinityRulesNotMatch}},
		{name: "existing pod's anti-affinity (symmetry)", pod: pod("p", "default", web),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "default", db, anti(term(zone, web)))}},
			want:     map[string]string{"b1": "Unschedulable: " + ReasonExistingAntiAffinityNotMatch}},
		{name: "namespaceSelector matches labelled namespace", pod: pod("p", "default", web, anti(v1.PodAffinityTerm{TopologyKey: zone,
			LabelSelector: &metav1.LabelSelector{MatchLabels: web}, NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}})),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "team-x", web)}, "a1": {pod("y", "team-y", web)}},
			nsLabels: map[string]labels.Set{"team-x": {"team": "x"}, "team-y": {"team": "y"}},
			want:     map[string]string{"b1": "Unschedulable: " + ReasonAntiAffinityRulesNotMatch}},
		{name: "empty namespaceSelector matches all namespaces", pod: pod("p", "default", web, anti(v1.PodAffinityTerm{TopologyKey: zone,
			LabelSelector: &metav1.LabelSelector{MatchLabels: web}, NamespaceSelector: &metav1.LabelSelector{}})),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "elsewhere", web)}},
			want:     map[string]string{"b1": "Unschedulable: " + ReasonAntiAffinityRulesNotMatch}},
		{name: "matchLabelKeys narrows to same version", pod: pod("p", "default", map[string]string{"app": "web", "v": "2"}, anti(v1.PodAffinityTerm{TopologyKey: hostname,
			LabelSelector: &metav1.LabelSelector{MatchLabels: web}, MatchLabelKeys: []string{"v"}})),
			existing: map[string][]*v1.Pod{"a1": {pod("x", "default", map[string]string{"app": "web", "v": "1"})}, "b1": {pod("y", "default", map[string]string{"app": "web", "v": "2"})}},
			want:     map[string]string{"b1": "Unschedulable: " + ReasonAntiAffinityRulesNotMatch}},
		{name: "node without topology key fails affinity", pod: pod("p", "default", web, affinity(term("rack", web))),
			want: map[string]string{"a1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "a2": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch, "b1": "UnschedulableAndUnresolvable: " + ReasonAffinityRulesNotMatch}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := New(Options{NamespaceLabels: func(ns string) labels.Set { return tc.nsLabels[ns] }})
			got := filterAll(t, pl, tc.pod, cluster(tc.existing))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestScore(t *testing.T) {
	web := map[string]string{"app": "web"}
	db := map[string]string{"app": "db"}
	for _, tc := range []struct {
		name     string
		existing map[string][]*v1.Pod
		pod      *v1.Pod
		want     map[string]int64 // normalized
		skip     bool
	}{
		{name: "nothing to score skips", pod: pod("p", "default", web), skip: true},
		{name: "preferred affinity to zone b", pod: pod("p", "default", web, preferred(10, term(zone, db), false)),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "default", db)}},
			want:     map[string]int64{"a1": 0, "a2": 0, "b1": 100}},
		{name: "preferred anti-affinity away from zone a", pod: pod("p", "default", web, preferred(5, term(zone, db), true)),
			existing: map[string][]*v1.Pod{"a2": {pod("x", "default", db)}},
			want:     map[string]int64{"a1": 0, "a2": 0, "b1": 100}},
		{name: "existing pod's required affinity attracts (hard weight)", pod: pod("p", "default", web),
			existing: map[string][]*v1.Pod{"a1": {pod("x", "default", db, affinity(term(zone, web)))}},
			want:     map[string]int64{"a1": 100, "a2": 100, "b1": 0}},
		{name: "existing preferred anti-affinity repels", pod: pod("p", "default", web),
			existing: map[string][]*v1.Pod{"b1": {pod("x", "default", db, preferred(3, term("kubernetes.io/hostname", web), true))}},
			want:     map[string]int64{"a1": 100, "a2": 100, "b1": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := New(Options{})
			snap := cluster(tc.existing)
			state := framework.NewCycleState(snap)
			st := pl.PreScore(context.Background(), state, tc.pod, snap.Nodes)
			if st.IsSkip() != tc.skip {
				t.Fatalf("skip = %v, want %v", st.IsSkip(), tc.skip)
			}
			if tc.skip {
				return
			}
			var scores []framework.NodeScore
			for _, n := range snap.Nodes {
				s, st := pl.Score(context.Background(), state, tc.pod, n)
				if !st.IsSuccess() {
					t.Fatal(st.Message())
				}
				scores = append(scores, framework.NodeScore{Name: n.Name(), Score: s})
			}
			pl.NormalizeScore(context.Background(), state, tc.pod, scores)
			for _, s := range scores {
				if s.Score != tc.want[s.Name] {
					t.Errorf("%s: got %d, want %d", s.Name, s.Score, tc.want[s.Name])
				}
			}
		})
	}
}
