package kubelet

import (
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testPod builds a pod with the named containers (busybox images).
func testPod(policy v1.RestartPolicy, containers ...string) *v1.Pod {
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1"},
		Spec:       v1.PodSpec{RestartPolicy: policy, NodeName: "node1"},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: c, Image: "busybox:1.0",
			TerminationMessagePath: "/dev/termination-log"})
	}
	return p
}

func withInit(p *v1.Pod, names ...string) *v1.Pod {
	for _, n := range names {
		p.Spec.InitContainers = append(p.Spec.InitContainers, v1.Container{Name: n, Image: "busybox:1.0"})
	}
	return p
}

func withSidecar(p *v1.Pod, name string) *v1.Pod {
	always := v1.ContainerRestartPolicyAlways
	p.Spec.InitContainers = append(p.Spec.InitContainers, v1.Container{Name: name, Image: "busybox:1.0", RestartPolicy: &always})
	return p
}

// rs builds observed state: a ready sandbox (unless dead) and containers.
func rs(sandbox string, cs ...containerState) *podState {
	st := &podState{UID: "uid-1"}
	switch sandbox {
	case "ready":
		st.Sandboxes = []sandboxState{{ID: "sb1", Ready: true, IPs: []string{"10.0.0.5"}}}
	case "dead":
		st.Sandboxes = []sandboxState{{ID: "sb1", Attempt: 0}}
	}
	st.Containers = cs
	return st
}

func running(name string, restart int32) containerState {
	return containerState{ID: name + "-" + string(rune('0'+restart)), Name: name, RestartCount: restart,
		State: runtimeapi.ContainerState_CONTAINER_RUNNING, StartedAt: t0}
}

func exited(name string, restart, code int32) containerState {
	return containerState{ID: name + "-" + string(rune('0'+restart)), Name: name, RestartCount: restart,
		State: runtimeapi.ContainerState_CONTAINER_EXITED, ExitCode: code, StartedAt: t0, FinishedAt: t0.Add(time.Second)}
}

func time1h() time.Duration { return time.Hour }
