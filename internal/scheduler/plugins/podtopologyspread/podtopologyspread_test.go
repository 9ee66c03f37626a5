package podtopologyspread

import (
	"context"
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

const zone = "topology.kubernetes.io/zone"

var web = map[string]string{"app": "web"}

func node(name, z string, taints ...v1.Taint) *v1.Node {
	l := map[string]string{v1.LabelHostname: name}
	if z != "" {
		l[zone] = z
	}
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: v1.NodeSpec{Taints: taints}}
}

func spread(key string, skew int32, when v1.UnsatisfiableConstraintAction) v1.TopologySpreadConstraint {
	return v1.TopologySpreadConstraint{MaxSkew: skew, TopologyKey: key, WhenUnsatisfiable: when,
		LabelSelector: &metav1.LabelSelector{MatchLabels: web}}
}

func incoming(cs ...v1.TopologySpreadConstraint) *v1.Pod {
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", Labels: web},
		Spec: v1.PodSpec{TopologySpreadConstraints: cs}}
}

// snapshot builds nodes with count web pods each (by node name).
func snapshot(nodes []*v1.Node, counts map[string]int) *framework.Snapshot {
	var infos []*framework.NodeInfo
	for _, n := range nodes {
		ni := framework.NewNodeInfo(n)
		for i := range counts[n.Name] {
			p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", n.Name, i), Namespace: "default",
				UID: types.UID(fmt.Sprintf("%s-%d", n.Name, i)), Labels: web}, Spec: v1.PodSpec{NodeName: n.Name}}
			ni.AddPod(framework.NewPodInfo(p))
		}
		infos = append(infos, ni)
	}
	return framework.NewSnapshot(infos)
}

func TestFilter(t *testing.T) {
	three := []*v1.Node{node("a1", "a"), node("a2", "a"), node("b1", "b")}
	honor := v1.NodeInclusionPolicyHonor
	two := int32(3)
	for _, tc := range []struct {
		name   string
		nodes  []*v1.Node
		counts map[string]int
		pod    *v1.Pod
		want   map[string]string
	}{
		{name: "no constraint skips", nodes: three, pod: incoming(), want: map[string]string{"skip": "true"}},
		{name: "zone skew 1", nodes: three, counts: map[string]int{"a1": 1}, pod: incoming(spread(zone, 1, v1.DoNotSchedule)),
			want: map[string]string{"a1": "Unschedulable: " + ReasonConstraintsNotMatch, "a2": "Unschedulable: " + ReasonConstraintsNotMatch}},
		{name: "hostname skew 1 balanced", nodes: three, counts: map[string]int{"a1": 1, "a2": 1, "b1": 1}, pod: incoming(spread(v1.LabelHostname, 1, v1.DoNotSchedule)),
			want: map[string]string{}},
		{name: "missing key", nodes: append(three[:2:2], node("nozone", "")), pod: incoming(spread(zone, 1, v1.DoNotSchedule)),
			want: map[string]string{"nozone": "UnschedulableAndUnresolvable: " + ReasonNodeLabelNotMatch}},
		{name: "ScheduleAnyway is not a filter", nodes: three, counts: map[string]int{"a1": 5}, pod: incoming(spread(zone, 1, v1.ScheduleAnyway)),
			want: map[string]string{"skip": "true"}},
		{name: "minDomains above domain count makes min 0", nodes: three, counts: map[string]int{"a1": 1, "b1": 1},
			pod: func() *v1.Pod {
				c := spread(zone, 1, v1.DoNotSchedule)
				c.MinDomains = &two
				return incoming(c)
			}(),
			want: map[string]string{"a1": "Unschedulable: " + ReasonConstraintsNotMatch, "a2": "Unschedulable: " + ReasonConstraintsNotMatch, "b1": "Unschedulable: " + ReasonConstraintsNotMatch}},
		{name: "tainted node's domain ignored only with Honor", nodes: []*v1.Node{node("a1", "a"), node("b1", "b", v1.Taint{Key: "k", Effect: v1.TaintEffectNoSchedule})},
			counts: map[string]int{"a1": 1},
			pod: func() *v1.Pod {
				c := spread(zone, 1, v1.DoNotSchedule)
				c.NodeTaintsPolicy = &honor
				return incoming(c)
			}(),
			want: map[string]string{}},
		{name: "tainted node's domain counts by default", nodes: []*v1.Node{node("a1", "a"), node("b1", "b", v1.Taint{Key: "k", Effect: v1.TaintEffectNoSchedule})},
			counts: map[string]int{"a1": 1}, pod: incoming(spread(zone, 1, v1.DoNotSchedule)),
			want: map[string]string{"a1": "Unschedulable: " + ReasonConstraintsNotMatch}},
		{name: "nodeSelector narrows counted nodes (Honor default)", nodes: three, counts: map[string]int{"a1": 2, "b1": 0},
			pod: func() *v1.Pod {
				p := incoming(spread(v1.LabelHostname, 1, v1.DoNotSchedule))
				p.Spec.NodeSelector = map[string]string{zone: "a"}
				return p
			}(),
			want: map[string]string{"a1": "Unschedulable: " + ReasonConstraintsNotMatch}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := &PodTopologySpread{}
			snap := snapshot(tc.nodes, tc.counts)
			state := framework.NewCycleState(snap)
			got := map[string]string{}
			if st := pl.PreFilter(context.Background(), state, tc.pod, snap); st.IsSkip() {
				got["skip"] = "true"
			} else {
				for _, n := range snap.Nodes {
					if st := pl.Filter(context.Background(), state, tc.pod, n); !st.IsSuccess() {
						got[n.Name()] = st.Code().String() + ": " + st.Message()
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScore(t *testing.T) {
	nodes := []*v1.Node{node("a1", "a"), node("a2", "a"), node("b1", "b"), node("c1", "c"), node("nozone", "")}
	for _, tc := range []struct {
		name   string
		counts map[string]int
		pod    *v1.Pod
		want   map[string]int64
	}{
		{name: "zone: emptier zones score higher", counts: map[string]int{"a1": 2, "b1": 1},
			pod:  incoming(spread(zone, 1, v1.ScheduleAnyway)),
			want: map[string]int64{"a1": 0, "a2": 0, "b1": 33, "c1": 100, "nozone": 0}}, // raw round(2·ln5)=3, round(ln5)=2, 0
		{name: "hostname", counts: map[string]int{"a1": 3},
			pod:  incoming(spread(v1.LabelHostname, 1, v1.ScheduleAnyway)),
			want: map[string]int64{"a1": 0, "a2": 100, "b1": 100, "c1": 100, "nozone": 100}},
		{name: "nothing matching: all max", pod: incoming(spread(zone, 1, v1.ScheduleAnyway)),
			want: map[string]int64{"a1": 100, "a2": 100, "b1": 100, "c1": 100, "nozone": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := &PodTopologySpread{}
			snap := snapshot(nodes, tc.counts)
			state := framework.NewCycleState(snap)
			if st := pl.PreScore(context.Background(), state, tc.pod, snap.Nodes); !st.IsSuccess() {
				t.Fatalf("prescore: %v", st.Code())
			}
			var scores []framework.NodeScore
			for _, n := range snap.Nodes {
				s, _ := pl.Score(context.Background(), state, tc.pod, n)
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
