package kubelet

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestShouldRestart(t *testing.T) {
	tests := []struct {
		policy v1.RestartPolicy
		code   int32
		want   bool
	}{
		{v1.RestartPolicyAlways, 0, true},
		{v1.RestartPolicyAlways, 1, true},
		{v1.RestartPolicyOnFailure, 0, false},
		{v1.RestartPolicyOnFailure, 137, true},
		{v1.RestartPolicyNever, 0, false},
		{v1.RestartPolicyNever, 1, false},
	}
	for _, tt := range tests {
		if got := shouldRestart(tt.policy, tt.code); got != tt.want {
			t.Errorf("shouldRestart(%s, %d) = %v, want %v", tt.policy, tt.code, got, tt.want)
		}
	}
}

func TestComputeActions(t *testing.T) {
	notStarted := func(string) bool { return false }
	tests := []struct {
		name     string
		pod      *v1.Pod
		state    *podState
		started  func(string) bool
		liveness map[string]bool
		want     podActions
	}{
		{
			name:  "new pod: sandbox and all containers",
			pod:   testPod(v1.RestartPolicyAlways, "a", "b"),
			state: rs(""),
			want:  podActions{CreateSandbox: true, Start: []startAction{{Name: "a"}, {Name: "b"}}},
		},
		{
			name:  "new pod with init: only the first init container",
			pod:   withInit(testPod(v1.RestartPolicyAlways, "a"), "i1", "i2"),
			state: rs(""),
			want:  podActions{CreateSandbox: true, Start: []startAction{{Name: "i1", Init: true}}},
		},
		{
			name:  "adopted running pod: nothing to do",
			pod:   testPod(v1.RestartPolicyAlways, "a"),
			state: rs("ready", running("a", 3)),
			want:  podActions{SandboxID: "sb1"},
		},
		{
			name:  "second init after first succeeded",
			pod:   withInit(testPod(v1.RestartPolicyAlways, "a"), "i1", "i2"),
			state: rs("ready", exited("i1", 0, 0)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "i2", Init: true}}},
		},
		{
			name:  "init running: wait",
			pod:   withInit(testPod(v1.RestartPolicyAlways, "a"), "i1"),
			state: rs("ready", running("i1", 0)),
			want:  podActions{SandboxID: "sb1"},
		},
		{
			name:  "failed init restarts under OnFailure",
			pod:   withInit(testPod(v1.RestartPolicyOnFailure, "a"), "i1"),
			state: rs("ready", exited("i1", 2, 1)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "i1", Init: true, RestartCount: 3}}},
		},
		{
			name:  "failed init kills a Never pod",
			pod:   withInit(testPod(v1.RestartPolicyNever, "a"), "i1"),
			state: rs("ready", exited("i1", 0, 1)),
			want:  podActions{SandboxID: "sb1", KillPod: true},
		},
		{
			name:    "sidecar not started yet blocks the next init",
			pod:     withInit(withSidecar(testPod(v1.RestartPolicyAlways, "a"), "proxy"), "i1"),
			state:   rs("ready", running("proxy", 0)),
			started: notStarted,
			want:    podActions{SandboxID: "sb1"},
		},
		{
			name:  "sidecar started: next init runs",
			pod:   withInit(withSidecar(testPod(v1.RestartPolicyAlways, "a"), "proxy"), "i1"),
			state: rs("ready", running("proxy", 0)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "i1", Init: true}}},
		},
		{
			name:  "all inits done: regular containers start",
			pod:   withInit(withSidecar(testPod(v1.RestartPolicyAlways, "a"), "proxy"), "i1"),
			state: rs("ready", running("proxy", 0), exited("i1", 0, 0)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "a"}}},
		},
		{
			name:  "exited sidecar restarts while containers run",
			pod:   withSidecar(testPod(v1.RestartPolicyAlways, "a"), "proxy"),
			state: rs("ready", exited("proxy", 0, 1), running("a", 0)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "proxy", Init: true, RestartCount: 1}}},
		},
		{
			name:  "sidecar stopped once regular containers completed",
			pod:   withSidecar(testPod(v1.RestartPolicyNever, "a"), "proxy"),
			state: rs("ready", running("proxy", 0), exited("a", 0, 0)),
			want:  podActions{SandboxID: "sb1", Kill: []killAction{{ID: "proxy-0", Name: "proxy", Reason: "Killing", Message: "Stopping container proxy"}}},
		},
		{
			name:  "Always restarts a completed container",
			pod:   testPod(v1.RestartPolicyAlways, "a"),
			state: rs("ready", exited("a", 4, 0)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "a", RestartCount: 5}}},
		},
		{
			name:  "OnFailure leaves a succeeded container",
			pod:   testPod(v1.RestartPolicyOnFailure, "a", "b"),
			state: rs("ready", exited("a", 0, 0), exited("b", 0, 2)),
			want:  podActions{SandboxID: "sb1", Start: []startAction{{Name: "b", RestartCount: 1}}},
		},
		{
			name:  "Never leaves a failed container",
			pod:   testPod(v1.RestartPolicyNever, "a"),
			state: rs("ready", exited("a", 0, 1)),
			want:  podActions{SandboxID: "sb1"},
		},
		{
			name:     "liveness failure kills and restarts",
			pod:      testPod(v1.RestartPolicyAlways, "a"),
			state:    rs("ready", running("a", 1)),
			liveness: map[string]bool{"a": true},
			want: podActions{SandboxID: "sb1",
				Kill:  []killAction{{ID: "a-1", Name: "a", Reason: "Killing", Message: "Container a failed liveness probe, will be restarted"}},
				Start: []startAction{{Name: "a", RestartCount: 2}}},
		},
		{
			name:     "liveness failure under Never kills only",
			pod:      testPod(v1.RestartPolicyNever, "a"),
			state:    rs("ready", running("a", 0)),
			liveness: map[string]bool{"a": true},
			want: podActions{SandboxID: "sb1",
				Kill: []killAction{{ID: "a-0", Name: "a", Reason: "Killing", Message: "Container a failed liveness probe, will be restarted"}}},
		},
		{
			name:  "dead sandbox: kill and re-create, counts continue",
			pod:   testPod(v1.RestartPolicyAlways, "a"),
			state: rs("dead", exited("a", 2, 137)),
			want:  podActions{KillPod: true, CreateSandbox: true, SandboxAttempt: 1, Start: []startAction{{Name: "a", RestartCount: 3}}},
		},
		{
			name:  "dead sandbox of a Never pod is not revived",
			pod:   testPod(v1.RestartPolicyNever, "a"),
			state: rs("dead", exited("a", 0, 0)),
			want:  podActions{KillPod: true},
		},
		{
			name:  "completed OnFailure pod without sandbox stays down",
			pod:   testPod(v1.RestartPolicyOnFailure, "a"),
			state: rs("", exited("a", 0, 0)),
			want:  podActions{KillPod: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := tt.started
			if started == nil {
				started = func(string) bool { return true }
			}
			got := computeActions(syncInput{Pod: tt.pod, State: tt.state, Started: started, LivenessFailed: tt.liveness})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("computeActions:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestChangedSpecRestartsContainer(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, "a")
	c := running("a", 0)
	c.Hash = containerHash(&pod.Spec.Containers[0])
	st := rs("ready", c)
	if got := computeActions(syncInput{Pod: pod, State: st}); len(got.Kill) != 0 {
		t.Fatalf("unchanged spec killed: %+v", got.Kill)
	}
	pod.Spec.Containers[0].Image = "busybox:2.0"
	got := computeActions(syncInput{Pod: pod, State: st})
	if len(got.Kill) != 1 || len(got.Start) != 1 || got.Start[0].RestartCount != 1 {
		t.Fatalf("changed image: got %+v", got)
	}
}
