package queue

import (
	"context"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func pod(name string, prio int32, created time.Duration) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(epoch.Add(created))},
		Spec:       v1.PodSpec{Priority: &prio},
	}
}

func newQueue() (*Queue, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(epoch)
	return New(Options{Clock: clk}), clk
}

func mustPop(t *testing.T, q *Queue) *QueuedPod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p, err := q.Pop(ctx)
	if err != nil {
		t.Fatalf("pop: %v", err)
	}
	return p
}

func TestActiveOrder(t *testing.T) {
	q, _ := newQueue()
	q.Add(pod("low-old", 0, 0))
	q.Add(pod("high-new", 100, 3*time.Second))
	q.Add(pod("low-new", 0, 2*time.Second))
	q.Add(pod("high-old", 100, time.Second))
	for _, want := range []string{"high-old", "high-new", "low-old", "low-new"} {
		if got := mustPop(t, q).Pod.Name; got != want {
			t.Fatalf("popped %s, want %s", got, want)
		}
	}
}

func TestUpdateInPlaceReorders(t *testing.T) {
	q, _ := newQueue()
	q.Add(pod("a", 0, 0))
	q.Add(pod("b", 0, time.Second))
	q.Update(nil, pod("b", 10, time.Second))
	if got := mustPop(t, q).Pod; got.Name != "b" || *got.Spec.Priority != 10 {
		t.Fatalf("popped %s prio %d, want updated b first", got.Name, *got.Spec.Priority)
	}
	if a, b, u := q.Lengths(); a != 1 || b != 0 || u != 0 {
		t.Fatalf("lengths %d %d %d", a, b, u)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	q, _ := newQueue()
	p := &QueuedPod{}
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		p.Attempts = attempts
		if got := q.backoffDuration(p); got != want {
			t.Errorf("attempts %d: %v, want %v", attempts, got, want)
		}
	}
}

func TestErrorGoesToBackoffThenActive(t *testing.T) {
	q, clk := newQueue()
	q.Add(pod("p", 0, 0))
	p := mustPop(t, q)
	q.Requeue(p, false, nil)
	if w := q.Where("ns/p"); w != "backoff" {
		t.Fatalf("after a fault the pod is in %q", w)
	}
	clk.Step(999 * time.Millisecond)
	q.FlushBackoff()
	if w := q.Where("ns/p"); w != "backoff" {
		t.Fatalf("before 1s the pod is in %q", w)
	}
	clk.Step(time.Millisecond)
	q.FlushBackoff()
	if w := q.Where("ns/p"); w != "active" {
		t.Fatalf("after 1s the pod is in %q", w)
	}
}

func TestUnschedulableMovesOnEventOrAfterFiveMinutes(t *testing.T) {
	q, clk := newQueue()
	q.Add(pod("a", 0, 0))
	q.Add(pod("b", 0, time.Second))
	pa, pb := mustPop(t, q), mustPop(t, q)
	q.Requeue(pa, true, map[string]bool{"NodeResourcesFit": true})
	q.Requeue(pb, true, map[string]bool{"TaintToleration": true})
	if _, _, u := q.Lengths(); u != 2 {
		t.Fatalf("%d unschedulable, want 2", u)
	}
	clk.Step(5 * time.Second) // past the 1s backoff
	q.MoveUnschedulable(func(p *QueuedPod) bool { return p.UnschedulablePlugins["NodeResourcesFit"] })
	if w := q.Where("ns/a"); w != "active" {
		t.Fatalf("a is in %q after a matching event", w)
	}
	if w := q.Where("ns/b"); w != "unschedulable" {
		t.Fatalf("b is in %q after an event it does not care about", w)
	}
	clk.Step(DefaultMaxUnschedulable - 5*time.Second - time.Millisecond)
	q.FlushUnschedulable()
	if w := q.Where("ns/b"); w != "unschedulable" {
		t.Fatalf("b left early: %q", w)
	}
	clk.Step(time.Millisecond)
	q.FlushUnschedulable()
	if w := q.Where("ns/b"); w != "active" {
		t.Fatalf("b is in %q after five minutes", w)
	}
}

func TestMoveWhileBackingOffGoesToBackoff(t *testing.T) {
	q, _ := newQueue()
	q.Add(pod("a", 0, 0))
	q.Requeue(mustPop(t, q), true, nil)
	q.MoveUnschedulable(nil)
	if w := q.Where("ns/a"); w != "backoff" {
		t.Fatalf("moved pod still in backoff window is in %q", w)
	}
}

func TestEventDuringAttemptSkipsUnschedulable(t *testing.T) {
	q, _ := newQueue()
	q.Add(pod("a", 0, 0))
	p := mustPop(t, q)
	q.MoveUnschedulable(nil) // e.g. a node was added while we were deciding
	q.Requeue(p, true, nil)
	if w := q.Where("ns/a"); w != "backoff" {
		t.Fatalf("pod is in %q, want backoff: the event may have made it fit", w)
	}
}

func TestDelete(t *testing.T) {
	q, _ := newQueue()
	q.Add(pod("queued", 0, 0))
	q.Add(pod("inflight", 10, 0))
	p := mustPop(t, q)
	q.Delete(pod("queued", 0, 0))
	q.Delete(pod("inflight", 0, 0))
	q.Requeue(p, true, nil)
	if a, b, u := q.Lengths(); a+b+u != 0 {
		t.Fatalf("deleted pods still queued: %d %d %d", a, b, u)
	}
}

func TestStatusOnlyUpdateKeepsUnschedulable(t *testing.T) {
	q, _ := newQueue()
	q.Add(pod("a", 0, 0))
	q.Requeue(mustPop(t, q), true, nil)
	old := pod("a", 0, 0)
	withCond := old.DeepCopy()
	withCond.Status.Conditions = []v1.PodCondition{{Type: v1.PodScheduled, Status: v1.ConditionFalse}}
	q.Update(old, withCond)
	if w := q.Where("ns/a"); w != "unschedulable" {
		t.Fatalf("status-only update moved the pod to %q", w)
	}
	relabeled := withCond.DeepCopy()
	relabeled.Labels = map[string]string{"x": "y"}
	q.Update(withCond, relabeled)
	if w := q.Where("ns/a"); w == "unschedulable" {
		t.Fatal("a label change left the pod unschedulable")
	}
}

func TestPopBlocksUntilAddOrClose(t *testing.T) {
	q, _ := newQueue()
	got := make(chan string, 1)
	go func() {
		p, err := q.Pop(context.Background())
		if err != nil {
			got <- err.Error()
			return
		}
		got <- p.Pod.Name
	}()
	q.Add(pod("late", 0, 0))
	if name := <-got; name != "late" {
		t.Fatalf("Pop returned %q", name)
	}
	go func() {
		_, err := q.Pop(context.Background())
		got <- err.Error()
	}()
	q.Close()
	if msg := <-got; msg != ErrClosed.Error() {
		t.Fatalf("Pop after Close: %q", msg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q2, _ := newQueue()
	if _, err := q2.Pop(ctx); err == nil {
		t.Fatal("Pop with a cancelled context returned a pod")
	}
}

func TestRunFlushesOnTicks(t *testing.T) {
	q, clk := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	q.Add(pod("a", 0, 0))
	q.Requeue(mustPop(t, q), false, nil)
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond) // until Run has made its tickers
	}
	clk.Step(time.Second)
	p := mustPop(t, q) // the 1s tick moved it back to active
	if p.Attempts != 2 {
		t.Fatalf("attempts %d, want 2", p.Attempts)
	}
	cancel()
	<-done
	if _, err := q.Pop(context.Background()); err != ErrClosed {
		t.Fatalf("Pop after Run ended: %v", err)
	}
}
