package nodename

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func TestFilter(t *testing.T) {
	node := framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	for _, tc := range []struct {
		nodeName string
		want     framework.Code
	}{
		{"", framework.Success},
		{"n1", framework.Success},
		{"n2", framework.UnschedulableAndUnresolvable},
	} {
		pod := &v1.Pod{Spec: v1.PodSpec{NodeName: tc.nodeName}}
		st := (&NodeName{}).Filter(context.Background(), nil, pod, node)
		if st.Code() != tc.want {
			t.Errorf("nodeName %q: code %v, want %v", tc.nodeName, st.Code(), tc.want)
		}
		if tc.want != framework.Success && st.Message() != ErrReason {
			t.Errorf("nodeName %q: message %q", tc.nodeName, st.Message())
		}
	}
}
