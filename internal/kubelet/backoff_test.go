package kubelet

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// TestBackOffSequence crashes a container right after each allowed start
// and records how long each restart had to wait: 10 s doubling to 5 min,
// back to 10 s after the container ran for 10 minutes.
func TestBackOffSequence(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	b := newRestartBackOff(clk)
	key := "k"
	var waits []time.Duration
	finished := clk.Now()
	for range 8 {
		if _, ok := b.check(key, finished); !ok {
			t.Fatalf("first check after the wait should pass")
		}
		// The container starts now and crashes at once.
		finished = clk.Now()
		wait, ok := b.check(key, finished)
		if ok {
			t.Fatalf("restart right after a crash was allowed")
		}
		waits = append(waits, wait)
		clk.Step(wait - time.Second)
		if _, ok := b.check(key, finished); ok {
			t.Fatalf("restart one second before the back-off ends was allowed")
		}
		clk.Step(time.Second)
	}
	want := []time.Duration{10, 20, 40, 80, 160, 300, 300, 300}
	for i := range want {
		if waits[i] != want[i]*time.Second {
			t.Fatalf("waits = %v, want %v s", waits, want)
		}
	}
	// Ten minutes of running resets the back-off.
	b.check(key, clk.Now())
	clk.Step(10*time.Minute + time.Second)
	finished = clk.Now()
	if _, ok := b.check(key, finished); !ok {
		t.Fatalf("restart after 10 minutes running was held back")
	}
	clk.Step(time.Second)
	if wait, ok := b.check(key, clk.Now()); ok || wait != 10*time.Second {
		t.Errorf("after reset: wait %v ok %v, want 10s false", wait, ok)
	}
}

func TestCrashLoopMessage(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, "a")
	got := crashLoopMessage(20*time.Second, "a", pod)
	if want := "back-off 20s restarting failed container=a pod=web_ns(uid-1)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
