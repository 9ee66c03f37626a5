package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestBindsAndRespectsTaints(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("tainted", "32", "64Gi", 110, v1.Taint{Key: "dedicated", Value: "db", Effect: v1.TaintEffectNoSchedule}))
	createNode(ctx, t, cs, fakeNode("plain", "32", "64Gi", 110))
	startScheduler(t, srv, Config{})

	names := []string{"a", "b", "c", "d"}
	for _, n := range names {
		if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod(n, "100m", "64Mi"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tol := fakePod("tolerant", "100m", "64Mi")
	tol.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "tainted"}
	tol.Spec.Tolerations = []v1.Toleration{{Key: "dedicated", Operator: v1.TolerationOpEqual, Value: "db", Effect: v1.TaintEffectNoSchedule}}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, tol, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "plain", "b": "plain", "c": "plain", "d": "plain", "tolerant": "tainted"}
	for name, node := range want {
		waitFor(t, 10*time.Second, "pod "+name+" bound", func() (bool, error) {
			got, err := podNode(ctx, cs, name)
			if got != "" && got != node {
				t.Fatalf("pod %s bound to %s, want %s", name, got, node)
			}
			return got == node, err
		})
	}
	waitFor(t, 10*time.Second, "Scheduled event", func() (bool, error) {
		evs, err := cs.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
		for _, e := range evs.Items {
			if e.Reason == "Scheduled" && e.Regarding.Name == "tolerant" {
				if e.Note != "Successfully assigned default/tolerant to tainted" || e.ReportingController != "default-scheduler" {
					t.Fatalf("Scheduled event: note %q controller %q", e.Note, e.ReportingController)
				}
				return true, err
			}
		}
		return false, err
	})
}

func TestUnschedulableThenNodeAdded(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("master", "64", "64Gi", 110, v1.Taint{Key: "node-role", Value: "master", Effect: v1.TaintEffectNoSchedule}))
	createNode(ctx, t, cs, fakeNode("small-1", "2", "8Gi", 110))
	createNode(ctx, t, cs, fakeNode("small-2", "3", "8Gi", 110))
	s := startScheduler(t, srv, Config{})

	if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod("big", "3500m", "1Gi"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const want = "0/3 nodes are available: 1 node(s) had untolerated taint {node-role: master}, 2 Insufficient cpu. " +
		"preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod. " +
		"The pod needs 500m more cpu than the best node (small-2) has free."
	waitFor(t, 10*time.Second, "PodScheduled=False", func() (bool, error) {
		p, err := cs.CoreV1().Pods("default").Get(ctx, "big", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range p.Status.Conditions {
			if c.Type == v1.PodScheduled && c.Status == v1.ConditionFalse {
				if c.Reason != "Unschedulable" || c.Message != want {
					t.Fatalf("condition reason %q message\n%q\nwant\n%q", c.Reason, c.Message, want)
				}
				return true, nil
			}
		}
		return false, nil
	})
	waitFor(t, 10*time.Second, "FailedScheduling event", func() (bool, error) {
		evs, err := cs.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
		for _, e := range evs.Items {
			if e.Reason == "FailedScheduling" && e.Regarding.Name == "big" {
				if e.Note != want || e.Type != v1.EventTypeWarning || e.ReportingController != "default-scheduler" {
					t.Fatalf("FailedScheduling event: type %q note %q controller %q", e.Type, e.Note, e.ReportingController)
				}
				return true, err
			}
		}
		return false, err
	})
	waitFor(t, 10*time.Second, "pod parked as unschedulable", func() (bool, error) {
		return s.QueuedWhere("default/big") == "unschedulable", nil
	})
	added := time.Now()
	createNode(ctx, t, cs, fakeNode("large", "8", "16Gi", 110))
	waitFor(t, 15*time.Second, "pod bound to the new node", func() (bool, error) {
		n, err := podNode(ctx, cs, "big")
		return n == "large", err
	})
	if d := time.Since(added); d > 15*time.Second {
		t.Fatalf("took %v after the node came; the 5-minute timer should not matter", d)
	}
}

func TestDeletedQueuedPodIsDropped(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("n1", "1", "1Gi", 110))
	s := startScheduler(t, srv, Config{})
	if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod("huge", "4", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "pod parked", func() (bool, error) {
		return s.QueuedWhere("default/huge") == "unschedulable", nil
	})
	if err := cs.CoreV1().Pods("default").Delete(ctx, "huge", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "pod dropped from the queue", func() (bool, error) {
		return s.QueuedWhere("default/huge") == "", nil
	})
	_, err := cs.CoreV1().Pods("default").Get(ctx, "huge", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("get deleted pod: %v", err)
	}
}

func TestOtherSchedulerNameIgnored(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("n1", "4", "4Gi", 110))
	s := startScheduler(t, srv, Config{})
	other := fakePod("other", "", "")
	other.Spec.SchedulerName = "my-scheduler"
	if _, err := cs.CoreV1().Pods("default").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod("mine", "", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "default pod bound", func() (bool, error) {
		n, err := podNode(ctx, cs, "mine")
		return n == "n1", err
	})
	if n, err := podNode(ctx, cs, "other"); err != nil || n != "" {
		t.Fatalf("pod of another scheduler bound to %q (err %v)", n, err)
	}
	if w := s.QueuedWhere("default/other"); w != "" {
		t.Fatalf("pod of another scheduler queued in %q", w)
	}
}

func TestBindFailureForgetsAndRetries(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("n1", "1", "1Gi", 110))
	s, err := New(Config{RestConfig: srv.Config})
	if err != nil {
		t.Fatal(err)
	}
	real := s.bindCall
	calls := make(chan int, 10)
	n := 0
	s.bindCall = func(ctx context.Context, b *v1.Binding) error {
		n++
		calls <- n
		if n == 1 {
			if !s.cache.IsAssumed(&v1.Pod{ObjectMeta: metav1.ObjectMeta{UID: b.UID}}) {
				t.Error("pod not assumed while binding")
			}
			return apierrors.NewInternalError(errors.New("etcd hiccup"))
		}
		return real(ctx, b)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod("p", "800m", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	<-calls
	waitFor(t, 10*time.Second, "failed bind forgotten", func() (bool, error) {
		ni := s.cache.NodeInfo("n1")
		return ni != nil && ni.Requested.MilliCPU == 0 && s.QueuedWhere("default/p") == "backoff", nil
	})
	waitFor(t, 10*time.Second, "pod bound on retry", func() (bool, error) {
		node, err := podNode(ctx, cs, "p")
		return node == "n1", err
	})
	waitFor(t, 10*time.Second, "bound pod counted once", func() (bool, error) {
		ni := s.cache.NodeInfo("n1")
		return ni.Requested.MilliCPU == 800 && len(ni.Pods) == 1 && !s.cache.IsAssumed(&v1.Pod{ObjectMeta: ni.Pods[0].Pod.ObjectMeta}), nil
	})
}

func TestSchedulingGatesHoldThePod(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("n1", "4", "4Gi", 110))
	s := startScheduler(t, srv, Config{})
	gated := fakePod("gated", "", "")
	gated.Spec.SchedulingGates = []v1.PodSchedulingGate{{Name: "example.com/wait"}}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, gated, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod("marker", "", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ungated pod bound", func() (bool, error) {
		n, err := podNode(ctx, cs, "marker")
		return n == "n1", err
	})
	if n, _ := podNode(ctx, cs, "gated"); n != "" || s.QueuedWhere("default/gated") != "" {
		t.Fatalf("gated pod bound to %q or queued in %q", n, s.QueuedWhere("default/gated"))
	}
	p, err := cs.CoreV1().Pods("default").Get(ctx, "gated", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.SchedulingGates = nil
	if _, err := cs.CoreV1().Pods("default").Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "pod bound once its gates are gone", func() (bool, error) {
		n, err := podNode(ctx, cs, "gated")
		return n == "n1", err
	})
}
