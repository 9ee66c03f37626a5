package nodelifecycle

import (
	"context"
	"log/slog"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

type harness struct {
	t     *testing.T
	cs    kubernetes.Interface
	clock *testingclock.FakeClock
	c     *Controller
	f     informers.SharedInformerFactory
}

func startHarness(t *testing.T) *harness {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	clk := testingclock.NewFakeClock(time.Now())
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs, Clock: clk,
		Nodes: f.Core().V1().Nodes(), Pods: f.Core().V1().Pods(), Leases: f.Coordination().V1().Leases(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; f.Shutdown() })
	return &harness{t: t, cs: cs, clock: clk, c: c, f: f}
}

func (h *harness) node(name string) {
	h.t.Helper()
	ctx := context.Background()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: "z1"}}}
	n, err := h.cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.setReady(n.Name, corev1.ConditionTrue)
	l := &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease},
		Spec: coordv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &metav1.MicroTime{Time: h.clock.Now()}}}
	if _, err := h.cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, l, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) setReady(name string, s corev1.ConditionStatus) {
	h.t.Helper()
	ctx := context.Background()
	n, err := h.cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	now := metav1.NewTime(h.clock.Now())
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: s, Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now}}
	if _, err := h.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// renew writes a new renewTime into name's lease and waits until the
// controller's cache holds it.
func (h *harness) renew(name string) {
	h.t.Helper()
	ctx := context.Background()
	l, err := h.cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	at := h.clock.Now()
	l.Spec.RenewTime = &metav1.MicroTime{Time: at}
	if _, err := h.cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	poll(h.t, "lease in cache", func(context.Context) (bool, error) {
		got, err := h.c.leases.Leases(corev1.NamespaceNodeLease).Get(name)
		return err == nil && got.Spec.RenewTime != nil && got.Spec.RenewTime.Time.Equal(at.Truncate(time.Microsecond)), nil
	})
}

// advance steps the fake clock by d in monitor periods, renewing the leases
// of the live nodes before each step.
func (h *harness) advance(d time.Duration, live ...string) {
	h.t.Helper()
	for d > 0 {
		for _, n := range live {
			h.renew(n)
		}
		st := min(d, 5*time.Second)
		h.clock.Step(st)
		d -= st
	}
}

func (h *harness) pod(name, node string, tols ...corev1.Toleration) {
	h.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: node, Tolerations: tols,
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if _, err := h.cs.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) podReady(name string) {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := h.cs.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// gone reports whether the pod is deleted or being deleted.
func (h *harness) gone(name string) bool {
	p, err := h.cs.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
	return apierrors.IsNotFound(err) || (err == nil && p.DeletionTimestamp != nil)
}

func TestStaleLeaseTaintsAndEvicts(t *testing.T) {
	h := startHarness(t)
	ctx := context.Background()
	if _, err := h.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: corev1.NamespaceNodeLease}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	h.node("a")
	h.node("b")
	tolerate := func(secs *int64) corev1.Toleration {
		return corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs}
	}
	h.pod("plain", "a")
	h.pod("tolerates-30s", "a", tolerate(ptr.To[int64](30)))
	h.pod("tolerates-forever", "a", tolerate(nil))
	h.pod("on-b", "b")
	h.podReady("tolerates-forever")
	poll(t, "pods in cache", func(context.Context) (bool, error) { return len(h.c.podsOnNode("a")) == 3, nil })

	h.advance(30*time.Second, "a", "b")
	if n := h.getNode("a"); ReadyStatus(n) != corev1.ConditionTrue || len(n.Spec.Taints) != 0 {
		t.Fatalf("node a marked before the grace period: %+v", n.Status.Conditions)
	}
	h.stepUntilTainted("a", "b")
	ready := condition(h.getNode("a").Status.Conditions, corev1.NodeReady)
	if ready.Reason != ReasonNodeStatusUnknown || ready.Message != "Kubelet stopped posting node status." {
		t.Errorf("Ready condition = %+v", ready)
	}
	if n := h.getNode("b"); ReadyStatus(n) != corev1.ConditionTrue || len(n.Spec.Taints) != 0 {
		t.Errorf("healthy node b changed: %+v %+v", n.Status.Conditions, n.Spec.Taints)
	}
	poll(t, "pods of the silent node marked not ready", func(ctx context.Context) (bool, error) {
		p, err := h.cs.CoreV1().Pods("default").Get(ctx, "tolerates-forever", metav1.GetOptions{})
		return err == nil && len(p.Status.Conditions) > 0 && p.Status.Conditions[0].Status == corev1.ConditionFalse, nil
	})
	poll(t, "untolerating pod evicted", func(context.Context) (bool, error) { return h.gone("plain"), nil })
	if p, err := h.cs.CoreV1().Pods("default").Get(ctx, "plain", metav1.GetOptions{}); err == nil && !hasDisruptionTarget(p) {
		t.Errorf("evicted pod has no DisruptionTarget condition: %+v", p.Status.Conditions)
	}
	poll(t, "eviction scheduled", func(context.Context) (bool, error) {
		_, ok := h.c.evictor.scheduled("default/tolerates-30s")
		return ok, nil
	})
	h.clock.Step(20 * time.Second)
	time.Sleep(300 * time.Millisecond) // a wrong eviction would have time to land
	if h.gone("tolerates-30s") || h.gone("tolerates-forever") || h.gone("on-b") {
		t.Fatal("tolerating pod evicted before its tolerationSeconds")
	}
	h.clock.Step(11 * time.Second)
	poll(t, "tolerating pod evicted after 30s", func(context.Context) (bool, error) { return h.gone("tolerates-30s"), nil })
	if h.gone("tolerates-forever") || h.gone("on-b") {
		t.Error("pod tolerating forever or on a healthy node evicted")
	}
	h.waitEvent("TaintManagerEviction", "Marking for deletion Pod default/plain")
	h.waitEvent("NodeNotReady", "Node a status is now: NodeNotReady")

	h.setReady("a", corev1.ConditionTrue)
	h.advance(5*time.Second, "a", "b")
	poll(t, "taints removed after recovery", func(context.Context) (bool, error) {
		return len(h.getNode("a").Spec.Taints) == 0, nil
	})
}

// stepUntilTainted steps the clock, renewing only live's lease, until the
// controller taints silent (40s after it last saw a renewal), and no
// further: the tolerating pods' clocks start then.
func (h *harness) stepUntilTainted(silent, live string) {
	h.t.Helper()
	for i := range 12 {
		h.advance(5*time.Second, live)
		tainted := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 300*time.Millisecond, true, func(context.Context) (bool, error) {
			n := h.getNode(silent)
			return ReadyStatus(n) == corev1.ConditionUnknown &&
				hasTaint(n.Spec.Taints, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) &&
				hasTaint(n.Spec.Taints, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule), nil
		}) == nil
		switch {
		case tainted && i < 7:
			h.t.Fatalf("node %s tainted %ds after its last renewal, before the 40s grace period", silent, 5*(i+1))
		case tainted:
			return
		}
	}
	h.t.Fatalf("node %s never became Unknown with the unreachable taints", silent)
}

// waitEvent waits for an event with reason and message in default or on a node.
func (h *harness) waitEvent(reason, message string) {
	h.t.Helper()
	poll(h.t, reason+" event", func(ctx context.Context) (bool, error) {
		evs, err := h.cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, e := range evs.Items {
			if e.Reason == reason && e.Message == message {
				return true, nil
			}
		}
		return false, nil
	})
}

func (h *harness) getNode(name string) *corev1.Node {
	h.t.Helper()
	n, err := h.cs.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
