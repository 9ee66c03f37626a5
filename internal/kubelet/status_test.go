package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func condition(s v1.PodStatus, t v1.PodConditionType) v1.PodCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return v1.PodCondition{}
}

func TestComputeStatus(t *testing.T) {
	crash := map[string]waitingReason{"a": {Reason: "CrashLoopBackOff", Message: "back-off 20s restarting failed container=a pod=web_ns(uid-1)"}}
	type want struct {
		phase             v1.PodPhase
		ready, containers v1.ConditionStatus
		readyReason       string
		readyMessage      string
		initialized       v1.ConditionStatus
		initReason        string
		initMessage       string
		sandbox           v1.ConditionStatus
		state             string // waiting reason, "running", or terminated reason of container 0
	}
	tests := []struct {
		name    string
		pod     *v1.Pod
		state   *podState
		waiting map[string]waitingReason
		ready   bool
		want    want
	}{
		{
			name: "nothing created yet", pod: testPod(v1.RestartPolicyAlways, "a"), state: rs(""),
			want: want{phase: v1.PodPending, ready: "False", containers: "False", readyReason: "ContainersNotReady",
				readyMessage: "containers with unready status: [a]", initialized: "True", sandbox: "False", state: "ContainerCreating"},
		},
		{
			name: "running and ready", pod: testPod(v1.RestartPolicyAlways, "a"), state: rs("ready", running("a", 0)), ready: true,
			want: want{phase: v1.PodRunning, ready: "True", containers: "True", initialized: "True", sandbox: "True", state: "running"},
		},
		{
			name: "running not ready", pod: testPod(v1.RestartPolicyAlways, "a"), state: rs("ready", running("a", 0)),
			want: want{phase: v1.PodRunning, ready: "False", containers: "False", readyReason: "ContainersNotReady",
				readyMessage: "containers with unready status: [a]", initialized: "True", sandbox: "True", state: "running"},
		},
		{
			name: "init pending", pod: withInit(testPod(v1.RestartPolicyAlways, "a"), "i1", "i2"), state: rs("ready", exited("i1", 0, 0), running("i2", 0)),
			want: want{phase: v1.PodPending, ready: "False", containers: "False", readyReason: "ContainersNotReady",
				readyMessage: "containers with unready status: [a]", initialized: "False", initReason: "ContainersNotInitialized",
				initMessage: "containers with incomplete status: [i2]", sandbox: "True", state: "PodInitializing"},
		},
		{
			name: "init failed under Never", pod: withInit(testPod(v1.RestartPolicyNever, "a"), "i1"), state: rs("ready", exited("i1", 0, 3)),
			want: want{phase: v1.PodFailed, ready: "False", containers: "False", readyReason: "PodCompleted",
				initialized: "False", initReason: "ContainersNotInitialized", initMessage: "containers with incomplete status: [i1]",
				sandbox: "True", state: "PodInitializing"},
		},
		{
			name: "succeeded", pod: testPod(v1.RestartPolicyNever, "a"), state: rs("dead", exited("a", 0, 0)),
			want: want{phase: v1.PodSucceeded, ready: "False", containers: "False", readyReason: "PodCompleted",
				initialized: "True", initReason: "PodCompleted", sandbox: "False", state: "Completed"},
		},
		{
			name: "failed under Never", pod: testPod(v1.RestartPolicyNever, "a", "b"), state: rs("ready", exited("a", 0, 0), exited("b", 0, 1)),
			want: want{phase: v1.PodFailed, ready: "False", containers: "False", readyReason: "PodCompleted",
				initialized: "True", sandbox: "True", state: "Completed"},
		},
		{
			name: "OnFailure restarting stays Running", pod: testPod(v1.RestartPolicyOnFailure, "a"), state: rs("ready", exited("a", 1, 1)),
			waiting: crash,
			want: want{phase: v1.PodRunning, ready: "False", containers: "False", readyReason: "ContainersNotReady",
				readyMessage: "containers with unready status: [a]", initialized: "True", sandbox: "True", state: "CrashLoopBackOff"},
		},
		{
			name: "Always with exited container is Running", pod: testPod(v1.RestartPolicyAlways, "a"), state: rs("ready", exited("a", 0, 0)),
			want: want{phase: v1.PodRunning, ready: "False", containers: "False", readyReason: "ContainersNotReady",
				readyMessage: "containers with unready status: [a]", initialized: "True", sandbox: "True", state: "Completed"},
		},
		{
			name: "image pull error keeps Pending", pod: testPod(v1.RestartPolicyAlways, "a"), state: rs("ready"),
			waiting: map[string]waitingReason{"a": {Reason: "ErrImagePull", Message: "not found"}},
			want: want{phase: v1.PodPending, ready: "False", containers: "False", readyReason: "ContainersNotReady",
				readyMessage: "containers with unready status: [a]", initialized: "True", sandbox: "True", state: "ErrImagePull"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := computeStatus(statusInput{Pod: tt.pod, State: tt.state, Waiting: tt.waiting, RuntimeName: "containerd",
				HostIPs: []string{"192.0.2.1"}, Now: t0,
				Ready: func(string) bool { return tt.ready }, Started: func(string) bool { return true }})
			w := tt.want
			if s.Phase != w.phase {
				t.Errorf("phase = %s, want %s", s.Phase, w.phase)
			}
			r, cr, in, sb := condition(s, v1.PodReady), condition(s, v1.ContainersReady), condition(s, v1.PodInitialized), condition(s, v1.PodReadyToStartContainers)
			if r.Status != w.ready || r.Reason != w.readyReason || r.Message != w.readyMessage {
				t.Errorf("Ready = %s/%q/%q, want %s/%q/%q", r.Status, r.Reason, r.Message, w.ready, w.readyReason, w.readyMessage)
			}
			if cr.Status != w.containers {
				t.Errorf("ContainersReady = %s, want %s", cr.Status, w.containers)
			}
			if in.Status != w.initialized || in.Reason != w.initReason || in.Message != w.initMessage {
				t.Errorf("Initialized = %s/%q/%q, want %s/%q/%q", in.Status, in.Reason, in.Message, w.initialized, w.initReason, w.initMessage)
			}
			if sb.Status != w.sandbox {
				t.Errorf("PodReadyToStartContainers = %s, want %s", sb.Status, w.sandbox)
			}
			if got := stateWord(s.ContainerStatuses[0]); got != w.state {
				t.Errorf("container state = %s, want %s", got, w.state)
			}
		})
	}
}

func stateWord(cs v1.ContainerStatus) string {
	switch {
	case cs.State.Running != nil:
		return "running"
	case cs.State.Terminated != nil:
		return cs.State.Terminated.Reason
	case cs.State.Waiting != nil:
		return cs.State.Waiting.Reason
	}
	return ""
}

func TestContainerStatusDetails(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, "a")
	prev := exited("a", 1, 137)
	prev.Reason = "OOMKilled"
	cur := exited("a", 2, 1)
	cur.ImageRef = "sha256:abc"
	cur.Message = "boom"
	s := computeStatus(statusInput{Pod: pod, State: rs("ready", cur, prev), RuntimeName: "containerd", Now: t0,
		Waiting: map[string]waitingReason{"a": {Reason: "CrashLoopBackOff", Message: "back-off 20s"}}})
	cs := s.ContainerStatuses[0]
	if cs.RestartCount != 2 || cs.ContainerID != "containerd://a-2" || cs.ImageID != "sha256:abc" {
		t.Errorf("restartCount/containerID/imageID = %d %s %s", cs.RestartCount, cs.ContainerID, cs.ImageID)
	}
	if cs.State.Waiting == nil || cs.State.Waiting.Message != "back-off 20s" {
		t.Fatalf("state = %+v, want waiting CrashLoopBackOff", cs.State)
	}
	lt := cs.LastTerminationState.Terminated
	if lt == nil || lt.ExitCode != 1 || lt.Reason != "Error" || lt.Message != "boom" {
		t.Errorf("lastState = %+v, want the newest exit (1, Error, boom)", lt)
	}
	if s.PodIP != "10.0.0.5" || s.QOSClass != v1.PodQOSBestEffort || s.StartTime == nil {
		t.Errorf("podIP %q qos %q startTime %v", s.PodIP, s.QOSClass, s.StartTime)
	}
	// Without the waiting reason the newest exit is the state, the previous (OOMKilled) the last state.
	s = computeStatus(statusInput{Pod: pod, State: rs("ready", cur, prev), RuntimeName: "containerd", Now: t0})
	cs = s.ContainerStatuses[0]
	if cs.State.Terminated == nil || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.Reason != "OOMKilled" {
		t.Errorf("state %+v last %+v", cs.State, cs.LastTerminationState)
	}
}

func TestConditionsKeepTransitionTimesAndOthers(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, "a")
	early := metav1.NewTime(t0.Add(-time1h()))
	pod.Status.Conditions = []v1.PodCondition{
		{Type: v1.PodScheduled, Status: v1.ConditionTrue, LastTransitionTime: early},
		{Type: v1.PodReadyToStartContainers, Status: v1.ConditionTrue, LastTransitionTime: early},
		{Type: v1.PodReady, Status: v1.ConditionFalse, LastTransitionTime: early},
	}
	s := computeStatus(statusInput{Pod: pod, State: rs("ready", running("a", 0)), Now: t0,
		Ready: func(string) bool { return true }})
	if c := condition(s, v1.PodScheduled); c.Status != v1.ConditionTrue {
		t.Errorf("PodScheduled lost: %+v", s.Conditions)
	}
	if c := condition(s, v1.PodReadyToStartContainers); !c.LastTransitionTime.Equal(&early) {
		t.Errorf("unchanged condition moved: %v", c.LastTransitionTime)
	}
	if c := condition(s, v1.PodReady); c.Status != v1.ConditionTrue || !c.LastTransitionTime.Time.Equal(t0) {
		t.Errorf("changed condition: %+v", c)
	}
}

func TestReadinessGates(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, "a")
	pod.Spec.ReadinessGates = []v1.PodReadinessGate{{ConditionType: "example.com/lb"}}
	in := statusInput{Pod: pod, State: rs("ready", running("a", 0)), Now: t0, Ready: func(string) bool { return true }}
	r := condition(computeStatus(in), v1.PodReady)
	if r.Status != v1.ConditionFalse || r.Reason != "ReadinessGatesNotReady" ||
		r.Message != `corresponding condition of pod readiness gate "example.com/lb" does not exist.` {
		t.Errorf("Ready = %+v", r)
	}
	pod.Status.Conditions = []v1.PodCondition{{Type: "example.com/lb", Status: v1.ConditionTrue}}
	if r := condition(computeStatus(in), v1.PodReady); r.Status != v1.ConditionTrue {
		t.Errorf("Ready with gate true = %+v", r)
	}
}
