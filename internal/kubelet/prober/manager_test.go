package prober

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// nextUpdate waits for the worker goroutine to deliver an update; the
// deadline only guards against a hang, no test time passes by it.
func nextUpdate(t *testing.T, m *Manager) Update {
	t.Helper()
	select {
	case u := <-m.Updates():
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no update within 10s")
		return Update{}
	}
}

// waitTickers waits until n tickers wait on the fake clock.
func waitTickers(t *testing.T, e *testEnv) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !e.clock.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("worker never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManagerWorkersFollowTheClock(t *testing.T) {
	e := newEnv(ok, fail)
	p := execProbe("check")
	p.PeriodSeconds, p.FailureThreshold = 5, 1
	pod, st := podWith(v1.Container{ReadinessProbe: p}, "abc", e.clock.Now())
	if e.m.Ready(pod.UID, "c") {
		t.Fatal("ready before any probe")
	}
	e.m.UpdatePod(pod, st)
	e.m.UpdatePod(pod, st) // idempotent: still one worker
	if u := nextUpdate(t, e.m); u != (Update{PodUID: "uid-1", Container: "c", Kind: Readiness, Result: Success}) {
		t.Fatalf("update %+v", u)
	}
	if !e.m.Ready(pod.UID, "c") || !e.m.Started(pod.UID, "c") {
		t.Fatal("not ready after a successful readiness probe")
	}
	waitTickers(t, e)
	if n := e.rt.callCount(); n != 1 {
		t.Fatalf("exec calls %d before the period elapsed, want 1", n)
	}
	e.clock.Step(5 * time.Second)
	if u := nextUpdate(t, e.m); u.Result != Failure || u.Kind != Readiness {
		t.Fatalf("update %+v, want readiness Failure", u)
	}
	if e.m.Ready(pod.UID, "c") {
		t.Fatal("still ready after failure")
	}
	e.m.RemovePod(pod.UID)
	if e.m.Ready(pod.UID, "c") {
		t.Fatal("ready after RemovePod")
	}
	e.m.mu.Lock()
	left := len(e.m.results)
	e.m.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d results kept after RemovePod", left)
	}
}

func TestStopEndsWorkers(t *testing.T) {
	e := newEnv(ok)
	pod, st := podWith(v1.Container{LivenessProbe: execProbe("check")}, "abc", e.clock.Now())
	e.m.UpdatePod(pod, st)
	waitTickers(t, e)
	stopped := make(chan struct{})
	go func() { e.m.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
	calls := e.rt.callCount()
	e.clock.Step(time.Hour)
	if e.rt.callCount() != calls {
		t.Fatal("a worker probed after Stop")
	}
	if e.m.Ready(pod.UID, "c") {
		t.Fatal("ready after Stop")
	}
}

func TestReadyNeedsRunningContainer(t *testing.T) {
	e := newEnv()
	pod, st := podWith(v1.Container{}, "abc", e.clock.Now())
	e.m.UpdatePod(pod, st) // no probes: no workers
	if !e.m.Ready(pod.UID, "c") || !e.m.Started(pod.UID, "c") {
		t.Fatal("a running container without probes must be ready and started")
	}
	st.ContainerStatuses[0].State = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 1}}
	e.m.UpdatePod(pod, st)
	if e.m.Ready(pod.UID, "c") {
		t.Fatal("a terminated container must not be ready")
	}
}
