package prober

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
)

type testEnv struct {
	m        *Manager
	rt       *fakeRuntime
	clock    *testingclock.FakeClock
	recorder *record.FakeRecorder
}

func newEnv(replies ...execReply) *testEnv {
	rt := newFakeRuntime(replies...)
	clk := testingclock.NewFakeClock(time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC))
	rec := record.NewFakeRecorder(100)
	return &testEnv{m: NewManager(Options{Runtime: rt, Recorder: rec, Clock: clk}), rt: rt, clock: clk, recorder: rec}
}

func execProbe(cmd string) *v1.Probe {
	return &v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{cmd}}}}
}

// podWith returns a pod whose container "c" has the given probes, and a
// status in which container ID id is running since now.
func podWith(c v1.Container, id string, now time.Time) (*v1.Pod, *v1.PodStatus) {
	c.Name = "c"
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1"},
		Spec:       v1.PodSpec{Containers: []v1.Container{c}},
	}
	st := &v1.PodStatus{PodIP: "127.0.0.1", ContainerStatuses: []v1.ContainerStatus{{
		Name: "c", ContainerID: "containerd://" + id,
		State: v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: metav1.NewTime(now)}},
	}}}
	return pod, st
}

// worker records the pod without starting goroutines and returns a worker
// for kind that the test drives by hand.
func (e *testEnv) worker(pod *v1.Pod, st *v1.PodStatus, kind Kind) *worker {
	e.m.mu.Lock()
	e.m.record(pod, st)
	e.m.mu.Unlock()
	return newWorker(e.m, pod, "c", kind, probesOf(&pod.Spec.Containers[0])[kind])
}

func (e *testEnv) drainUpdates() []Update {
	var out []Update
	for {
		select {
		case u := <-e.m.Updates():
			out = append(out, u)
		default:
			return out
		}
	}
}

var (
	ok   = execReply{stdout: "ok"}
	fail = execReply{stdout: "unhealthy", exitCode: 1}
)

func TestWorkerThresholds(t *testing.T) {
	tests := []struct {
		name        string
		kind        Kind
		success     int32
		failure     int32
		replies     []execReply
		steps       int
		wantResults []Result // the stored result after each step
		wantCalls   int
		wantUpdates []Result
	}{
		{name: "readiness ready after one success", kind: Readiness, replies: []execReply{ok}, steps: 1,
			wantResults: []Result{Success}, wantCalls: 1, wantUpdates: []Result{Success}},
		{name: "readiness successThreshold 2", kind: Readiness, success: 2, replies: []execReply{ok}, steps: 2,
			wantResults: []Result{Failure, Success}, wantCalls: 2, wantUpdates: []Result{Success}},
		{name: "readiness lost after failureThreshold", kind: Readiness, failure: 3, replies: []execReply{ok, fail}, steps: 4,
			wantResults: []Result{Success, Success, Success, Failure}, wantCalls: 4, wantUpdates: []Result{Success, Failure}},
		{name: "readiness failure run reset by a success", kind: Readiness, failure: 2, replies: []execReply{ok, fail, ok, fail, fail}, steps: 5,
			wantResults: []Result{Success, Success, Success, Success, Failure}, wantCalls: 5, wantUpdates: []Result{Success, Failure}},
		{name: "liveness fails after threshold then holds", kind: Liveness, failure: 3, replies: []execReply{fail}, steps: 5,
			wantResults: []Result{Success, Success, Failure, Failure, Failure}, wantCalls: 3, wantUpdates: []Result{Failure}},
		{name: "liveness threshold 1", kind: Liveness, failure: 1, replies: []execReply{fail}, steps: 2,
			wantResults: []Result{Failure, Failure}, wantCalls: 1, wantUpdates: []Result{Failure}},
		{name: "startup passes and stops probing", kind: Startup, replies: []execReply{fail, ok}, steps: 4,
			wantResults: []Result{Unknown, Success, Success, Success}, wantCalls: 2, wantUpdates: []Result{Success}},
		{name: "startup fails after threshold", kind: Startup, failure: 2, replies: []execReply{fail}, steps: 3,
			wantResults: []Result{Unknown, Failure, Failure}, wantCalls: 2, wantUpdates: []Result{Failure}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(tt.replies...)
			p := execProbe("check")
			p.SuccessThreshold, p.FailureThreshold = tt.success, tt.failure
			var c v1.Container
			switch tt.kind {
			case Readiness:
				c.ReadinessProbe = p
			case Liveness:
				c.LivenessProbe = p
			case Startup:
				c.StartupProbe = p
			}
			pod, st := podWith(c, "abc", e.clock.Now())
			w := e.worker(pod, st, tt.kind)
			var got []Result
			for i := 0; i < tt.steps; i++ {
				if !w.doProbe(context.Background()) {
					t.Fatalf("worker stopped at step %d", i)
				}
				got = append(got, e.m.result("abc", tt.kind))
			}
			if !reflect.DeepEqual(got, tt.wantResults) {
				t.Errorf("results %v, want %v", got, tt.wantResults)
			}
			if n := e.rt.callCount(); n != tt.wantCalls {
				t.Errorf("exec calls %d, want %d", n, tt.wantCalls)
			}
			var updates []Result
			for _, u := range e.drainUpdates() {
				if u.Kind != tt.kind || u.Container != "c" || u.PodUID != "uid-1" {
					t.Errorf("update %+v for the wrong probe", u)
				}
				updates = append(updates, u.Result)
			}
			if !reflect.DeepEqual(updates, tt.wantUpdates) {
				t.Errorf("updates %v, want %v", updates, tt.wantUpdates)
			}
		})
	}
}

func TestWorkerInitialDelay(t *testing.T) {
	e := newEnv(ok)
	p := execProbe("check")
	p.InitialDelaySeconds = 10
	pod, st := podWith(v1.Container{ReadinessProbe: p}, "abc", e.clock.Now())
	w := e.worker(pod, st, Readiness)
	w.doProbe(context.Background())
	if e.rt.callCount() != 0 || e.m.Ready("uid-1", "c") {
		t.Fatal("probed before initialDelaySeconds")
	}
	e.clock.Step(10 * time.Second)
	w.doProbe(context.Background())
	if e.rt.callCount() != 1 || !e.m.Ready("uid-1", "c") {
		t.Fatalf("not probed after initialDelaySeconds: calls %d", e.rt.callCount())
	}
}

func TestStartupGatesLiveness(t *testing.T) {
	e := newEnv()
	startup := &execReply{stdout: "booting", exitCode: 1}
	e.rt.byCmd = map[string]*execReply{"started": startup, "alive": {stdout: "alive"}}
	c := v1.Container{StartupProbe: execProbe("started"), LivenessProbe: execProbe("alive")}
	c.StartupProbe.FailureThreshold = 10
	pod, st := podWith(c, "abc", e.clock.Now())
	sw := e.worker(pod, st, Startup)
	lw := e.worker(pod, st, Liveness)
	ctx := context.Background()
	sw.doProbe(ctx)
	lw.doProbe(ctx)
	if e.m.Started("uid-1", "c") || e.m.Ready("uid-1", "c") {
		t.Fatal("started before the startup probe passed")
	}
	if e.rt.callCount() != 1 {
		t.Fatalf("liveness probed before startup passed: %v", e.rt.calls)
	}
	*startup = execReply{stdout: "up"}
	sw.doProbe(ctx)
	lw.doProbe(ctx)
	if !e.m.Started("uid-1", "c") || !e.m.Ready("uid-1", "c") {
		t.Fatal("not started/ready after the startup probe passed (no readiness probe)")
	}
	if e.rt.callCount() != 3 {
		t.Fatalf("exec calls %d, want 3", e.rt.callCount())
	}
}

func TestLivenessResumesOnNewContainer(t *testing.T) {
	e := newEnv(fail, ok)
	p := execProbe("check")
	p.FailureThreshold = 1
	pod, st := podWith(v1.Container{LivenessProbe: p}, "abc", e.clock.Now())
	w := e.worker(pod, st, Liveness)
	ctx := context.Background()
	w.doProbe(ctx)
	if got := e.drainUpdates(); len(got) != 1 || got[0].Result != Failure {
		t.Fatalf("updates %v, want one liveness Failure", got)
	}
	w.doProbe(ctx)
	if e.rt.callCount() != 1 {
		t.Fatal("probed while on hold")
	}
	// The kubelet restarted the container: new ID.
	st.ContainerStatuses[0].ContainerID = "containerd://def"
	e.m.mu.Lock()
	e.m.record(pod, st)
	e.m.mu.Unlock()
	w.doProbe(ctx)
	if e.rt.callCount() != 2 || e.m.result("def", Liveness) != Success {
		t.Fatalf("new container not probed: calls %d result %v", e.rt.callCount(), e.m.result("def", Liveness))
	}
	if e.rt.calls[1] != "def" {
		t.Fatalf("exec went to %q, want the new container", e.rt.calls[1])
	}
	if _, stale := e.m.results[resultKey{"abc", Liveness}]; stale {
		t.Fatal("result of the old container kept")
	}
}

func TestUnhealthyEvents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "secret internals")
	}))
	defer srv.Close()
	_, port := splitHostPort(t, srv.URL)
	tests := []struct {
		name  string
		c     v1.Container
		kind  Kind
		reply execReply
		want  string
	}{
		{name: "liveness exec", c: v1.Container{LivenessProbe: execProbe("check")}, kind: Liveness,
			reply: execReply{stdout: "cat: can't open '/tmp/healthy'", exitCode: 1},
			want:  "Warning Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy'"},
		{name: "readiness http 500", kind: Readiness, c: v1.Container{ReadinessProbe: &v1.Probe{ProbeHandler: v1.ProbeHandler{
			HTTPGet: &v1.HTTPGetAction{Path: "/fail", Port: intstr.FromInt32(int32(port))}}}},
			want: "Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 500"},
		{name: "liveness exec timeout", c: v1.Container{LivenessProbe: execProbe("check")}, kind: Liveness,
			reply: execReply{err: context.DeadlineExceeded},
			want:  `Warning Unhealthy Liveness probe failed: command "check" timed out`},
		{name: "startup exec", c: v1.Container{StartupProbe: execProbe("check")}, kind: Startup,
			reply: execReply{stderr: "not yet", exitCode: 2},
			want:  "Warning Unhealthy Startup probe failed: not yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(tt.reply)
			pod, st := podWith(tt.c, "abc", e.clock.Now())
			e.worker(pod, st, tt.kind).doProbe(context.Background())
			select {
			case ev := <-e.recorder.Events:
				if ev != tt.want {
					t.Fatalf("event %q, want %q", ev, tt.want)
				}
			default:
				t.Fatal("no event recorded")
			}
		})
	}
}
