package defaultpreemption

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func TestPostFilterMessage(t *testing.T) {
	never := v1.PreemptNever
	statuses := map[string]*framework.Status{
		"a": framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {k: v}"),
		"b": framework.NewStatus(framework.Unschedulable, "Insufficient cpu"),
		"c": framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory"),
	}
	for _, tc := range []struct {
		name string
		pod  *v1.Pod
		want string
	}{
		{"mixed", &v1.Pod{}, "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod"},
		{"policy Never", &v1.Pod{Spec: v1.PodSpec{PreemptionPolicy: &never}}, "preemption: not eligible due to preemptionPolicy=Never"},
	} {
		nominated, st := (&DefaultPreemption{}).PostFilter(context.Background(), nil, tc.pod, statuses)
		if nominated != "" || st.IsSuccess() {
			t.Errorf("%s: nominated %q, status %v", tc.name, nominated, st.Code())
		}
		if st.Message() != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, st.Message(), tc.want)
		}
	}
}
