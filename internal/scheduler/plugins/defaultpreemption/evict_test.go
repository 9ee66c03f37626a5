package defaultpreemption

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestAPIEvictor(t *testing.T) {
	victim := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "victim", Namespace: "default", UID: "v"}, Spec: v1.PodSpec{NodeName: "n1"}}
	gone := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "gone", Namespace: "default", UID: "g"}}
	preemptor := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "preemptor", Namespace: "default", UID: "p"},
		Spec: v1.PodSpec{SchedulerName: v1.DefaultSchedulerName}}
	low := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "low", Namespace: "default", UID: "l"}, Status: v1.PodStatus{NominatedNodeName: "n1"}}
	client := fake.NewClientset(victim.DeepCopy(), preemptor.DeepCopy(), low.DeepCopy())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := &APIEvictor{Client: client, Now: func() time.Time { return now }}
	ctx := context.Background()
	if err := e.Preempt(ctx, preemptor, "n1", []*v1.Pod{gone, victim}, []*v1.Pod{low, gone}); err != nil {
		t.Fatalf("preempt: %v", err)
	}
	if _, err := client.CoreV1().Pods("default").Get(ctx, "victim", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("victim not deleted: %v", err)
	}
	// The victim's status patch (DisruptionTarget) comes before its delete.
	var order []string
	for _, a := range client.Actions() {
		switch a := a.(type) {
		case k8stesting.PatchAction:
			if a.GetName() == "victim" && a.GetSubresource() == "status" {
				body := string(a.GetPatch())
				if !strings.Contains(body, `"type":"DisruptionTarget"`) || !strings.Contains(body, `"reason":"PreemptionByScheduler"`) ||
					!strings.Contains(body, "default-scheduler: preempting to accommodate a higher priority pod") {
					t.Errorf("victim status patch %s", body)
				}
				order = append(order, "patch")
			}
		case k8stesting.DeleteAction:
			if a.GetName() == "victim" {
				order = append(order, "delete")
			}
		}
	}
	if strings.Join(order, ",") != "patch,delete" {
		t.Errorf("victim actions %v, want patch then delete", order)
	}
	p, err := client.CoreV1().Pods("default").Get(ctx, "preemptor", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.NominatedNodeName != "n1" {
		t.Errorf("nominatedNodeName = %q, want n1", p.Status.NominatedNodeName)
	}
	l, err := client.CoreV1().Pods("default").Get(ctx, "low", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Status.NominatedNodeName != "" {
		t.Errorf("lower-priority pod still nominated to %q", l.Status.NominatedNodeName)
	}
}
