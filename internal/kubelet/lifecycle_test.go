package kubelet

import (
	"context"
	"reflect"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestOrphanCleanup(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.sync("web")
	// The pod disappears from the API while its containers run.
	h.k.mu.Lock()
	delete(h.k.pods, "uid-web")
	h.k.mu.Unlock()
	done, _ := h.k.syncUID(context.Background(), "uid-web")
	if !done {
		t.Fatal("orphan sync not done")
	}
	got := callsOf(h.rt.Calls(), "StopContainer", "StopPodSandbox", "RemoveContainer", "RemovePodSandbox")
	if !reflect.DeepEqual(got, []string{"StopContainer", "StopPodSandbox", "RemoveContainer", "RemovePodSandbox"}) {
		t.Errorf("calls = %v", got)
	}
	if len(h.rt.containers) != 0 || len(h.rt.sandboxes) != 0 {
		t.Errorf("left behind: %d containers, %d sandboxes", len(h.rt.containers), len(h.rt.sandboxes))
	}
	if !reflect.DeepEqual(h.vols.torn, []types.UID{"uid-web"}) {
		t.Errorf("teardown = %v", h.vols.torn)
	}
}

func TestLivenessFailureRestarts(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.sync("web")
	first := h.newest("a").status.Id
	h.k.liveness["uid-web"] = map[string]bool{"a": true}
	h.drainEvents()
	h.sync("web")
	if ev := h.drainEvents(); !hasEvent(ev, "Normal Killing Container a failed liveness probe, will be restarted") {
		t.Errorf("events = %v", ev)
	}
	c := h.newest("a")
	if c.status.Id == first || c.status.State != runtimeapi.ContainerState_CONTAINER_RUNNING || c.status.Metadata.Attempt != 1 {
		t.Fatalf("not restarted: %s attempt %d state %v", c.status.Id, c.status.Metadata.Attempt, c.status.State)
	}
	if len(h.k.livenessFailed("uid-web")) != 0 {
		t.Error("liveness failure not cleared after the kill")
	}
	if cs := h.pod("web").Status.ContainerStatuses[0]; cs.RestartCount != 1 || cs.LastTerminationState.Terminated == nil {
		t.Errorf("status = %+v", cs)
	}
}

func TestPostStartHookFailure(t *testing.T) {
	pod := basicPod("web", v1.RestartPolicyAlways)
	pod.Spec.Containers[0].Lifecycle = &v1.Lifecycle{PostStart: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"false"}}}}
	h := newHarness(t, pod)
	h.hooks.err = errorString("Exec lifecycle hook ([false]) for Container \"a\" in Pod \"web_ns(uid-web)\" failed")
	h.sync("web")
	ev := h.drainEvents()
	if !hasEvent(ev, "Warning FailedPostStartHook "+h.hooks.err.Error()) || !hasEvent(ev, "Normal Killing FailedPostStartHook") {
		t.Errorf("events = %v", ev)
	}
	if c := h.newest("a"); c.status.State != runtimeapi.ContainerState_CONTAINER_EXITED {
		t.Errorf("container not killed: %v", c.status.State)
	}
	if cs := h.pod("web").Status.ContainerStatuses[0]; cs.State.Waiting == nil || cs.State.Waiting.Reason != "PostStartHookError" {
		t.Errorf("state = %+v", cs.State)
	}
}

func TestInitContainersRunInOrder(t *testing.T) {
	pod := withInit(basicPod("web", v1.RestartPolicyAlways), "i1", "i2")
	h := newHarness(t, pod)
	started := func() []string {
		var out []string
		h.rt.mu.Lock()
		defer h.rt.mu.Unlock()
		for _, c := range h.rt.containers {
			out = append(out, c.status.Metadata.Name)
		}
		return out
	}
	h.sync("web")
	if got := started(); !reflect.DeepEqual(got, []string{"i1"}) {
		t.Fatalf("after sync 1: %v", got)
	}
	if st := h.pod("web").Status; st.Phase != v1.PodPending || condition(st, v1.PodInitialized).Status != v1.ConditionFalse ||
		st.ContainerStatuses[0].State.Waiting.Reason != "PodInitializing" {
		t.Errorf("status while initializing = %+v", st)
	}
	h.exitContainer("i1", 0)
	h.sync("web")
	h.exitContainer("i2", 0)
	h.sync("web")
	st := h.pod("web").Status
	if st.Phase != v1.PodRunning || condition(st, v1.PodInitialized).Status != v1.ConditionTrue {
		t.Fatalf("after init: phase %s conditions %+v", st.Phase, st.Conditions)
	}
	for _, ics := range st.InitContainerStatuses {
		if ics.State.Terminated == nil || ics.State.Terminated.Reason != "Completed" {
			t.Errorf("init status %s = %+v", ics.Name, ics.State)
		}
	}
	// Once initialized, the init containers never run again.
	h.exitContainer("a", 1)
	h.sync("web")
	for _, n := range []string{"i1", "i2"} {
		if h.newest(n).status.Metadata.Attempt != 0 {
			t.Errorf("init container %s re-ran", n)
		}
	}
}

func TestRunFollowsTheAPI(t *testing.T) {
	h := newHarness(t)
	h.k.cfg.RelistPeriod = time.Hour // only informer events drive this test
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- h.k.Run(ctx) }()
	pod := basicPod("web", v1.RestartPolicyAlways)
	if _, err := h.client.CoreV1().Pods("ns").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		p, err := h.client.CoreV1().Pods("ns").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && p.Status.Phase == v1.PodRunning
	})
	if err := h.client.CoreV1().Pods("ns").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		h.rt.mu.Lock()
		defer h.rt.mu.Unlock()
		return len(h.rt.containers) == 0 && len(h.rt.sandboxes) == 0
	})
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond (for asynchronous informer delivery) for up to 10 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailedInitFailsNeverPod(t *testing.T) {
	h := newHarness(t, withInit(basicPod("web", v1.RestartPolicyNever), "i1"))
	h.sync("web")
	h.exitContainer("i1", 2)
	h.sync("web")
	st := h.pod("web").Status
	if st.Phase != v1.PodFailed {
		t.Fatalf("phase = %s", st.Phase)
	}
	if got := callsOf(h.rt.Calls(), "CreateContainer", "StopPodSandbox"); !reflect.DeepEqual(got, []string{"CreateContainer", "StopPodSandbox"}) {
		t.Errorf("calls = %v: want only the init container, then the sandbox stopped", got)
	}
	if ics := st.InitContainerStatuses[0]; ics.State.Terminated == nil || ics.State.Terminated.ExitCode != 2 {
		t.Errorf("init status = %+v", ics.State)
	}
}
