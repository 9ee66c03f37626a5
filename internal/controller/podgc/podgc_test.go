package podgc

import (
	"context"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func node(name string) *corev1.Node { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}} }

func TestGCPass(t *testing.T) {
	tests := []struct {
		name      string
		objs      []runtime.Object
		threshold int
		at        []time.Duration // passes, relative to t0
		deleted   []string
		failed    []string // pods whose status was written Failed with DisruptionTarget
	}{
		{name: "orphan deleted only after quarantine",
			objs: []runtime.Object{node("a"), mkPod("on-a", on("a"), phase(corev1.PodRunning)), mkPod("on-gone", on("gone"), phase(corev1.PodRunning))},
			at:   []time.Duration{0, 20 * time.Second, 40 * time.Second}, deleted: []string{"on-gone"}, failed: []string{"on-gone"}},
		{name: "orphan kept before quarantine ends",
			objs: []runtime.Object{mkPod("on-gone", on("gone"), phase(corev1.PodRunning))},
			at:   []time.Duration{0, 20 * time.Second, 39 * time.Second}},
		{name: "terminated above threshold, oldest first",
			objs: []runtime.Object{node("a"), mkPod("old", on("a"), phase(corev1.PodSucceeded), age(time.Hour)),
				mkPod("new", on("a"), phase(corev1.PodFailed)), mkPod("running", on("a"), phase(corev1.PodRunning), age(2*time.Hour))},
			threshold: 1, at: []time.Duration{0}, deleted: []string{"old"}},
		{name: "unscheduled terminating",
			objs: []runtime.Object{mkPod("pending", terminating(), phase(corev1.PodPending))},
			at:   []time.Duration{0}, deleted: []string{"pending"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(tt.objs...)
			clk := testingclock.NewFakeClock(t0)
			f := informers.NewSharedInformerFactory(cs, 0)
			c, err := New(Options{Client: cs, Clock: clk, Pods: f.Core().V1().Pods(), Nodes: f.Core().V1().Nodes(), TerminatedPodThreshold: tt.threshold})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.Start(ctx.Done())
			f.WaitForCacheSync(ctx.Done())
			for _, at := range tt.at {
				clk.SetTime(t0.Add(at))
				if err := c.gc(ctx, 2); err != nil {
					t.Fatal(err)
				}
			}
			var deleted, failed []string
			for _, a := range cs.Actions() {
				switch act := a.(type) {
				case k8stesting.DeleteAction:
					deleted = append(deleted, act.GetName())
					if g := act.GetDeleteOptions().GracePeriodSeconds; g == nil || *g != 0 {
						t.Errorf("delete %s without grace period 0", act.GetName())
					}
				case k8stesting.UpdateAction:
					p := act.GetObject().(*corev1.Pod)
					if act.GetSubresource() == "status" && p.Status.Phase == corev1.PodFailed && hasCondition(p, reasonDeletionByPodGC) {
						failed = append(failed, p.Name)
					}
				}
			}
			if !equal(deleted, tt.deleted) || !equal(failed, tt.failed) {
				t.Errorf("deleted %v failed %v, want %v %v", deleted, failed, tt.deleted, tt.failed)
			}
		})
	}
}

func hasCondition(p *corev1.Pod, reason string) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == reason {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDeletesPodsOfDeletedNode(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	clk := testingclock.NewFakeClock(time.Now())
	for _, n := range []string{"stays", "goes"} {
		if _, err := cs.CoreV1().Nodes().Create(ctx, node(n), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "on-" + n, Namespace: "default"},
			Spec: corev1.PodSpec{NodeName: n, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs, Clock: clk,
		Pods: f.Core().V1().Pods(), Nodes: f.Core().V1().Nodes()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	f.Start(runCtx.Done())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(runCtx, 2) }()
	t.Cleanup(func() { cancel(); <-done; f.Shutdown() })
	f.WaitForCacheSync(runCtx.Done())

	// The first pass ran once the loop waits on the ticker.
	poll(t, "gc loop waiting on the clock", func(context.Context) (bool, error) { return clk.HasWaiters(), nil })
	if err := cs.CoreV1().Nodes().Delete(ctx, "goes", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "node gone from cache", func(context.Context) (bool, error) {
		_, err := c.nodes.Get("goes")
		return apierrors.IsNotFound(err), nil
	})
	clk.Step(DefaultPeriod)
	poll(t, "quarantine started", func(context.Context) (bool, error) { return c.quarantined("goes"), nil })
	clk.Step(DefaultQuarantine - time.Second)
	time.Sleep(200 * time.Millisecond) // a premature deletion would have time to land
	if !exists(t, cs, "on-goes") {
		t.Fatal("orphan deleted before quarantine")
	}
	clk.Step(time.Second)
	poll(t, "orphaned pod deleted", func(context.Context) (bool, error) { return !exists(t, cs, "on-goes"), nil })
	if !exists(t, cs, "on-stays") {
		t.Error("pod on an existing node deleted")
	}
}

func exists(t *testing.T, cs kubernetes.Interface, name string) bool {
	_, err := cs.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
