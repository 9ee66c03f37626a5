package kubelet

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestEvictPodFailsAndKills(t *testing.T) {
	const msg = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. "
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways), basicPod("db", v1.RestartPolicyAlways))
	h.sync("web")
	h.sync("db")
	if got := len(h.k.ActivePods()); got != 2 {
		t.Fatalf("active pods before = %d, want 2", got)
	}
	h.drainEvents()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// EvictPod hands the work to the worker; run the sync here instead so
	// the test is deterministic (the dispatched worker's sync is then a no-op
	// on a Failed pod).
	if !h.k.EvictPod(ctx, "uid-web", Eviction{Reason: "Evicted", Message: msg, GracePeriod: 0}) {
		t.Fatal("EvictPod = false for a running pod")
	}
	if h.k.EvictPod(ctx, "uid-web", Eviction{Reason: "Evicted", Message: msg}) {
		t.Error("second EvictPod of the same pod = true")
	}
	if h.k.EvictPod(ctx, "uid-nope", Eviction{Reason: "Evicted", Message: msg}) {
		t.Error("EvictPod of an unknown pod = true")
	}
	h.sync("web")
	pod := h.pod("web")
	if pod.Status.Phase != v1.PodFailed || pod.Status.Reason != "Evicted" || pod.Status.Message != msg {
		t.Fatalf("status = %s/%s/%q, want Failed/Evicted/%q", pod.Status.Phase, pod.Status.Reason, pod.Status.Message, msg)
	}
	var dt *v1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == v1.DisruptionTarget {
			dt = &pod.Status.Conditions[i]
		}
	}
	if dt == nil || dt.Status != v1.ConditionTrue || dt.Reason != "TerminationByKubelet" {
		t.Errorf("DisruptionTarget = %+v", dt)
	}
	if cs := pod.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Terminated == nil {
		t.Errorf("container statuses = %+v", cs)
	}
	if ev := h.drainEvents(); !hasEvent(ev, "Warning Evicted "+msg) {
		t.Errorf("events = %v", ev)
	}
	active := h.k.ActivePods()
	if len(active) != 1 || active[0].Name != "db" {
		t.Errorf("active pods after = %v", active)
	}
	// The evicted pod's containers are stopped, the other pod's keep running.
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	for _, c := range h.rt.containers {
		want := runtimeapi.ContainerState_CONTAINER_RUNNING
		if c.status.Labels[labelPodName] == "web" {
			want = runtimeapi.ContainerState_CONTAINER_EXITED
		}
		if c.status.State != want {
			t.Errorf("container of pod %s is %v, want %v", c.status.Labels[labelPodName], c.status.State, want)
		}
	}
}
