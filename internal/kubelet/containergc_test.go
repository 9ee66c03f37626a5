package kubelet

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestUnusedContainers(t *testing.T) {
	c := func(id, uid string, state runtimeapi.ContainerState) *runtimeapi.Container {
		return &runtimeapi.Container{Id: id, State: state, Labels: map[string]string{labelPodUID: uid}}
	}
	exited, running := runtimeapi.ContainerState_CONTAINER_EXITED, runtimeapi.ContainerState_CONTAINER_RUNNING
	cs := []*runtimeapi.Container{
		c("active-exited", "active", exited),
		c("active-running", "active", running),
		c("gone-exited", "gone", exited),
		c("gone-running", "gone", running), // a worker is still stopping it
		c("gone-created", "gone", runtimeapi.ContainerState_CONTAINER_CREATED),
		c("unlabelled-exited", "", exited),
	}
	got := unusedContainers(cs, map[types.UID]bool{"active": true})
	if want := "gone-exited,unlabelled-exited"; strings.Join(got, ",") != want {
		t.Errorf("unusedContainers = %v, want %s", got, want)
	}
}

// TestDeleteUnusedContainers: the exited containers of a terminal pod go,
// those of a running pod stay.
func TestDeleteUnusedContainers(t *testing.T) {
	h := newHarness(t, basicPod("done", v1.RestartPolicyNever), basicPod("web", v1.RestartPolicyAlways))
	h.sync("done")
	h.sync("web")
	h.exitContainer("a", 0) // newest "a" is web's (created last)
	h.rt.mu.Lock()
	for _, fc := range h.rt.containers {
		fc.status.State = runtimeapi.ContainerState_CONTAINER_EXITED
	}
	h.rt.mu.Unlock()
	h.sync("done") // its only container exited: Succeeded
	if p := h.pod("done"); p.Status.Phase != v1.PodSucceeded {
		t.Fatalf("done is %s", p.Status.Phase)
	}
	h.sync("done")
	if err := h.k.DeleteUnusedContainers(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	left := map[string]int{}
	for _, fc := range h.rt.containers {
		left[fc.status.Labels[labelPodUID]]++
	}
	if left["uid-done"] != 0 || left["uid-web"] == 0 {
		t.Errorf("containers left per pod = %v, want none of the terminal pod and web's kept", left)
	}
}
