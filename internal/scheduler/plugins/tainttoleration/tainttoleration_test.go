package tainttoleration

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func taint(k, v string, e v1.TaintEffect) v1.Taint { return v1.Taint{Key: k, Value: v, Effect: e} }

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		taints []v1.Taint
		tols   []v1.Toleration
		want   string
	}{
		{"no taints", nil, nil, ""},
		{"untolerated NoSchedule", []v1.Taint{taint("node-role", "master", v1.TaintEffectNoSchedule)}, nil,
			"node(s) had untolerated taint {node-role: master}"},
		{"untolerated NoExecute", []v1.Taint{taint("k", "v", v1.TaintEffectNoExecute)}, nil, "node(s) had untolerated taint {k: v}"},
		{"PreferNoSchedule does not filter", []v1.Taint{taint("k", "v", v1.TaintEffectPreferNoSchedule)}, nil, ""},
		{"tolerated Equal", []v1.Taint{taint("k", "v", v1.TaintEffectNoSchedule)},
			[]v1.Toleration{{Key: "k", Operator: v1.TolerationOpEqual, Value: "v", Effect: v1.TaintEffectNoSchedule}}, ""},
		{"tolerated Exists any effect", []v1.Taint{taint("k", "v", v1.TaintEffectNoExecute)},
			[]v1.Toleration{{Key: "k", Operator: v1.TolerationOpExists}}, ""},
		{"wrong value", []v1.Taint{taint("k", "v", v1.TaintEffectNoSchedule)},
			[]v1.Toleration{{Key: "k", Operator: v1.TolerationOpEqual, Value: "w"}}, "node(s) had untolerated taint {k: v}"},
		{"second taint untolerated", []v1.Taint{taint("a", "1", v1.TaintEffectNoSchedule), taint("b", "2", v1.TaintEffectNoSchedule)},
			[]v1.Toleration{{Key: "a", Operator: v1.TolerationOpExists}}, "node(s) had untolerated taint {b: 2}"},
		{"numeric Gt", []v1.Taint{taint("level", "5", v1.TaintEffectNoSchedule)},
			[]v1.Toleration{{Key: "level", Operator: v1.TolerationOpGt, Value: "7"}}, "node(s) had untolerated taint {level: 5}"},
		{"numeric Lt", []v1.Taint{taint("level", "5", v1.TaintEffectNoSchedule)},
			[]v1.Toleration{{Key: "level", Operator: v1.TolerationOpLt, Value: "7"}}, ""},
	} {
		node := framework.NewNodeInfo(&v1.Node{Spec: v1.NodeSpec{Taints: tc.taints}})
		pod := &v1.Pod{Spec: v1.PodSpec{Tolerations: tc.tols}}
		st := (&TaintToleration{}).Filter(context.Background(), nil, pod, node)
		if st.Message() != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, st.Message(), tc.want)
		}
		if tc.want != "" && st.Code() != framework.UnschedulableAndUnresolvable {
			t.Errorf("%s: code %v", tc.name, st.Code())
		}
	}
}

func TestScore(t *testing.T) {
	prefer := func(k string) v1.Taint { return taint(k, "", v1.TaintEffectPreferNoSchedule) }
	nodes := []*framework.NodeInfo{
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "clean"}}),
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "one"}, Spec: v1.NodeSpec{Taints: []v1.Taint{prefer("a")}}}),
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "two"}, Spec: v1.NodeSpec{Taints: []v1.Taint{prefer("a"), prefer("b")}}}),
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "hard"}, Spec: v1.NodeSpec{Taints: []v1.Taint{taint("c", "", v1.TaintEffectNoSchedule)}}}),
	}
	for _, tc := range []struct {
		name string
		tols []v1.Toleration
		want []int64
	}{
		{"no tolerations", nil, []int64{100, 50, 0, 100}},
		{"tolerates a", []v1.Toleration{{Key: "a", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectPreferNoSchedule}}, []int64{100, 100, 0, 100}},
		{"NoSchedule toleration does not count", []v1.Toleration{{Key: "a", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule}}, []int64{100, 50, 0, 100}},
	} {
		pl := &TaintToleration{}
		pod := &v1.Pod{Spec: v1.PodSpec{Tolerations: tc.tols}}
		state := framework.NewCycleState(nil)
		pl.PreScore(context.Background(), state, pod, nodes)
		scores := make([]framework.NodeScore, len(nodes))
		for i, n := range nodes {
			s, _ := pl.Score(context.Background(), state, pod, n)
			scores[i] = framework.NodeScore{Name: n.Name(), Score: s}
		}
		pl.NormalizeScore(context.Background(), state, pod, scores)
		for i, s := range scores {
			if s.Score != tc.want[i] {
				t.Errorf("%s: node %s score %d, want %d", tc.name, s.Name, s.Score, tc.want[i])
			}
		}
	}
}
