package nodeunschedulable

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		name          string
		unschedulable bool
		tolerations   []v1.Toleration
		want          framework.Code
	}{
		{"schedulable node", false, nil, framework.Success},
		{"cordoned node", true, nil, framework.UnschedulableAndUnresolvable},
		{"cordoned, tolerated by key", true, []v1.Toleration{{Key: v1.TaintNodeUnschedulable, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule}}, framework.Success},
		{"cordoned, tolerate everything", true, []v1.Toleration{{Operator: v1.TolerationOpExists}}, framework.Success},
		{"cordoned, wrong effect", true, []v1.Toleration{{Key: v1.TaintNodeUnschedulable, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoExecute}}, framework.UnschedulableAndUnresolvable},
	} {
		node := framework.NewNodeInfo(&v1.Node{Spec: v1.NodeSpec{Unschedulable: tc.unschedulable}})
		pod := &v1.Pod{Spec: v1.PodSpec{Tolerations: tc.tolerations}}
		st := (&NodeUnschedulable{}).Filter(context.Background(), nil, pod, node)
		if st.Code() != tc.want {
			t.Errorf("%s: code %v, want %v", tc.name, st.Code(), tc.want)
		}
		if tc.want != framework.Success && st.Message() != ErrReasonUnschedulable {
			t.Errorf("%s: message %q", tc.name, st.Message())
		}
	}
}
