package replicaset

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

// harness is a controller over a fake clientset whose informer caches the
// test fills by hand, so a sync sees exactly the snapshot the test wants.
type harness struct {
	c       *Controller
	client  *fake.Clientset
	factory informers.SharedInformerFactory
	clock   *clocktesting.FakeClock
	rec     *record.FakeRecorder
	creates atomic.Int32
}

func newHarness(t *testing.T, rs *appsv1.ReplicaSet, createErr error) *harness {
	t.Helper()
	h := &harness{client: fake.NewClientset(rs), clock: clocktesting.NewFakeClock(t0), rec: record.NewFakeRecorder(1000)}
	h.client.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		p := a.(clienttesting.CreateAction).GetObject().(*corev1.Pod)
		if p.GenerateName == "" {
			return false, nil, nil // a pod the test itself creates
		}
		n := h.creates.Add(1)
		if createErr != nil {
			return true, nil, createErr
		}
		p.Name = fmt.Sprintf("%s%d", p.GenerateName, n)
		return false, nil, nil
	})
	h.factory = informers.NewSharedInformerFactory(h.client, 0)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: h.client, Informers: h.factory, Clock: h.clock, Recorder: h.rec})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	if err := h.factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(rs); err != nil {
		t.Fatal(err)
	}
	return h
}

func testRS(n int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "rs-uid", Generation: 1},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}},
		},
	}
}

func TestSyncCreatesOnceWhileCacheIsStale(t *testing.T) {
	h := newHarness(t, testRS(3), nil)
	ctx := context.Background()
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	if n := h.creates.Load(); n != 3 {
		t.Fatalf("%d creates, want 3", n)
	}
	// The pod informer has not seen the pods: expectations must hold back.
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	if n := h.creates.Load(); n != 3 {
		t.Fatalf("%d creates after a second sync with a stale cache, want 3", n)
	}
	h.clock.Step(ExpectationsTTL + time.Second)
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	if n := h.creates.Load(); n != 6 {
		t.Fatalf("%d creates after expectations expired, want 6", n)
	}
	pods, _ := h.client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	p := pods.Items[0]
	if p.GenerateName != "web-" || p.Labels["app"] != "web" || metav1.GetControllerOf(&p).UID != "rs-uid" {
		t.Fatalf("pod %+v", p.ObjectMeta)
	}
	if ev := <-h.rec.Events; !strings.HasPrefix(ev, "Normal SuccessfulCreate Created pod: web-") {
		t.Fatalf("event %q", ev)
	}
}

func TestSyncQuotaFailureSetsConditionAndStopsBatch(t *testing.T) {
	quota := apierrors.NewForbidden(corev1.Resource("pods"), "", fmt.Errorf("exceeded quota: q"))
	h := newHarness(t, testRS(5), quota)
	ctx := context.Background()
	if err := h.c.sync(ctx, "ns/web"); err == nil {
		t.Fatal("sync must report the create error so the key is retried with backoff")
	}
	if n := h.creates.Load(); n != 1 {
		t.Fatalf("%d create attempts, want 1 (slow start stops after the first failed batch)", n)
	}
	if !h.c.exp.Satisfied("ns/web") {
		t.Fatal("failed creations must not stay expected")
	}
	rs, err := h.client.AppsV1().ReplicaSets("ns").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := rs.Status.Conditions
	if len(c) != 1 || c[0].Type != appsv1.ReplicaSetReplicaFailure || c[0].Reason != "FailedCreate" || !strings.Contains(c[0].Message, "exceeded quota") {
		t.Fatalf("conditions %+v", c)
	}
	if ev := <-h.rec.Events; !strings.HasPrefix(ev, "Warning FailedCreate Error creating: ") {
		t.Fatalf("event %q", ev)
	}
}

func TestSyncScaleDownDeletesRankedPods(t *testing.T) {
	h := newHarness(t, testRS(1), nil)
	ctx := context.Background()
	tr := true
	owned := func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "web"}
		p.OwnerReferences = []metav1.OwnerReference{{UID: "rs-uid", Controller: &tr, Kind: "ReplicaSet", APIVersion: "apps/v1", Name: "web"}}
	}
	for _, p := range []*corev1.Pod{mkPod("old-ready", owned, ready(time.Hour)), mkPod("pending", owned, phase(corev1.PodPending)), mkPod("not-ready", owned)} {
		if _, err := h.client.CoreV1().Pods("ns").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := h.factory.Core().V1().Pods().Informer().GetIndexer().Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	left, _ := h.client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	if len(left.Items) != 1 || left.Items[0].Name != "old-ready" {
		t.Fatalf("left %v", left.Items)
	}
	if h.c.exp.Satisfied("ns/web") {
		t.Fatal("deletions not yet observed must be expected")
	}
}
