package kubelet

import (
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeAdmitter rejects every pod while reject is set.
type fakeAdmitter struct {
	mu     sync.Mutex
	reject bool
	asked  []string
}

func (f *fakeAdmitter) Admit(pod *v1.Pod) (bool, string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, pod.Name)
	if f.reject {
		return false, "Evicted", "The node had condition: [MemoryPressure]. "
	}
	return true, "", ""
}

func (f *fakeAdmitter) set(reject bool) { f.mu.Lock(); f.reject = reject; f.mu.Unlock() }

func TestAdmission(t *testing.T) {
	const msg = "The node had condition: [MemoryPressure]. "
	started := basicPod("started", v1.RestartPolicyAlways)
	now := metav1.NewTime(t0)
	started.Status.StartTime = &now
	tests := []struct {
		name string
		pod  *v1.Pod
		// rejectFirst is the admitter's answer on the first sync, then it
		// flips for the second sync.
		rejectFirst  bool
		wantRejected bool
	}{
		{name: "rejected pod fails and never starts, even once the pressure is gone",
			pod: basicPod("web", v1.RestartPolicyAlways), rejectFirst: true, wantRejected: true},
		{name: "admitted pod keeps running when pressure comes later",
			pod: basicPod("web", v1.RestartPolicyAlways), rejectFirst: false},
		{name: "a pod the kubelet already started is not asked again (kubelet restart)",
			pod: started, rejectFirst: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.pod)
			adm := &fakeAdmitter{reject: tc.rejectFirst}
			h.k.cfg.Admitters = []PodAdmitter{adm}
			h.sync(tc.pod.Name)
			stale := h.k.Pod("ns", tc.pod.Name)
			adm.set(!tc.rejectFirst)
			h.sync(tc.pod.Name)
			// A stale cached copy (still Pending) must not be admitted either.
			h.k.mu.Lock()
			h.k.pods[stale.UID] = stale
			h.k.mu.Unlock()
			h.k.syncUID(t.Context(), stale.UID)

			pod := h.pod(tc.pod.Name)
			sandboxes := len(callsOf(h.rt.Calls(), "RunPodSandbox"))
			events := h.drainEvents()
			if !tc.wantRejected {
				if pod.Status.Phase == v1.PodFailed || sandboxes != 1 {
					t.Fatalf("phase %s, %d sandboxes: want an admitted, started pod", pod.Status.Phase, sandboxes)
				}
				if tc.pod.Status.StartTime != nil && len(adm.asked) != 0 {
					t.Errorf("admitter asked about a started pod: %v", adm.asked)
				}
				if len(h.k.ActivePods()) != 1 {
					t.Errorf("active pods = %d, want 1", len(h.k.ActivePods()))
				}
				return
			}
			if pod.Status.Phase != v1.PodFailed || pod.Status.Reason != "Evicted" || pod.Status.Message != "Pod was rejected: "+msg {
				t.Errorf("status = %s/%s/%q", pod.Status.Phase, pod.Status.Reason, pod.Status.Message)
			}
			if pod.Status.QOSClass != v1.PodQOSBestEffort {
				t.Errorf("qosClass = %q", pod.Status.QOSClass)
			}
			if sandboxes != 0 {
				t.Errorf("%d sandboxes started for a rejected pod", sandboxes)
			}
			n := 0
			for _, e := range events {
				if e == "Warning Evicted "+msg {
					n++
				}
			}
			if n != 1 {
				t.Errorf("rejection events = %d in %v, want 1", n, events)
			}
			if len(h.k.ActivePods()) != 0 {
				t.Errorf("rejected pod is active")
			}
			if len(adm.asked) != 1 {
				t.Errorf("admitter asked %d times, want once", len(adm.asked))
			}
		})
	}
}
