package printers

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var testNow = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(testNow.Add(-d)) }

func objMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(5 * time.Minute)}
}

func running(name string, ready bool, restarts int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: ready, RestartCount: restarts,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func terminated(name, reason string, code, signal int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, Signal: signal}}}
}

func containers(names ...string) []corev1.Container {
	out := make([]corev1.Container, len(names))
	for i, n := range names {
		out[i] = corev1.Container{Name: n, Image: n + ":1"}
	}
	return out
}

// TestPodReadyStatusRestarts covers the READY, STATUS and RESTARTS cells.
func TestPodReadyStatusRestarts(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	started := true
	restarted := running("c", true, 2)
	restarted.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: ago(3 * time.Minute)}
	older := running("d", true, 1)
	older.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: ago(10 * time.Minute)}
	deleted := objMeta("p")
	deleted.DeletionTimestamp = &metav1.Time{Time: testNow}

	tests := []struct {
		name                   string
		meta                   metav1.ObjectMeta
		spec                   corev1.PodSpec
		status                 corev1.PodStatus
		ready, state, restarts string
	}{
		{name: "running", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running("c", true, 0)}},
			ready:  "1/1", state: "Running", restarts: "0"},
		{name: "running not ready", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running("c", false, 0)}},
			ready:  "0/1", state: "Running", restarts: "0"},
		{name: "restarts show the latest restart", spec: corev1.PodSpec{Containers: containers("c", "d")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{restarted, older}},
			ready:  "2/2", state: "Running", restarts: "3 (3m ago)"},
		{name: "restarts without termination time", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running("c", true, 4)}},
			ready:  "1/1", state: "Running", restarts: "4"},
		{name: "crash loop", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{waiting("c", "CrashLoopBackOff")}},
			ready:  "0/1", state: "CrashLoopBackOff", restarts: "0"},
		{name: "first container's reason wins", spec: corev1.PodSpec{Containers: containers("c", "d")},
			status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
				waiting("c", "ErrImagePull"), waiting("d", "ContainerCreating")}},
			ready: "0/2", state: "ErrImagePull", restarts: "0"},
		{name: "pending without statuses", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending}, ready: "0/1", state: "Pending", restarts: "0"},
		{name: "status reason", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}, ready: "0/1", state: "Evicted", restarts: "0"},
		{name: "scheduling gated", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}},
			ready: "0/1", state: "SchedulingGated", restarts: "0"},
		{name: "init progress", spec: corev1.PodSpec{InitContainers: containers("i1", "i2"), Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{
				terminated("i1", "Completed", 0, 0), running("i2", false, 0)},
				ContainerStatuses: []corev1.ContainerStatus{waiting("c", "PodInitializing")}},
			ready: "0/1", state: "Init:1/2", restarts: "0"},
		{name: "init waiting reason", spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{
				waiting("i1", "ImagePullBackOff")}},
			ready: "0/1", state: "Init:ImagePullBackOff", restarts: "0"},
		{name: "init failed with exit code", spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{
				terminated("i1", "", 3, 0)}},
			ready: "0/1", state: "Init:ExitCode:3", restarts: "0"},
		{name: "init failed with signal", spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{
				terminated("i1", "", 137, 9)}},
			ready: "0/1", state: "Init:Signal:9", restarts: "0"},
		{name: "init failed with reason", spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{
				terminated("i1", "Error", 1, 0)}},
			ready: "0/1", state: "Init:Error", restarts: "0"},
		{name: "completed", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{
				terminated("c", "Completed", 0, 0)}},
			ready: "0/1", state: "Completed", restarts: "0"},
		{name: "completed container with a running one and pod ready", spec: corev1.PodSpec{Containers: containers("c", "d")},
			status: corev1.PodStatus{Phase: corev1.PodRunning,
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{terminated("c", "Completed", 0, 0), running("d", true, 0)}},
			ready: "1/2", state: "Running", restarts: "0"},
		{name: "completed container with a running one and pod not ready", spec: corev1.PodSpec{Containers: containers("c", "d")},
			status: corev1.PodStatus{Phase: corev1.PodRunning,
				ContainerStatuses: []corev1.ContainerStatus{terminated("c", "Completed", 0, 0), running("d", true, 0)}},
			ready: "1/2", state: "NotReady", restarts: "0"},
		{name: "app container killed by signal", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
				terminated("c", "", 0, 9)}},
			ready: "0/1", state: "Signal:9", restarts: "0"},
		{name: "app container exit code", spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
				terminated("c", "", 2, 0)}},
			ready: "0/1", state: "ExitCode:2", restarts: "0"},
		{name: "terminating", meta: deleted, spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running("c", true, 0)}},
			ready:  "1/1", state: "Terminating", restarts: "0"},
		{name: "deleted terminal pod keeps its status", meta: deleted, spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{
				terminated("c", "Completed", 0, 0)}},
			ready: "0/1", state: "Completed", restarts: "0"},
		{name: "node lost", meta: deleted, spec: corev1.PodSpec{Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost"},
			ready:  "0/1", state: "Unknown", restarts: "0"},
		{name: "sidecar counts as a container", spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "s", RestartPolicy: &always}, {Name: "i"}}, Containers: containers("c")},
			status: corev1.PodStatus{Phase: corev1.PodRunning,
				Conditions: []corev1.PodCondition{{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}},
				InitContainerStatuses: []corev1.ContainerStatus{
					{Name: "s", Ready: true, Started: &started, RestartCount: 1, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
					{Name: "i", RestartCount: 5, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}},
				ContainerStatuses: []corev1.ContainerStatus{running("c", true, 2)}},
			ready: "2/2", state: "Running", restarts: "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.meta
			if m.Name == "" {
				m = objMeta("p")
			}
			cells, err := Cells(&corev1.Pod{ObjectMeta: m, Spec: tt.spec, Status: tt.status}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			got := []interface{}{cells[1], cells[2], cells[3]}
			want := []interface{}{tt.ready, tt.state, tt.restarts}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("READY STATUS RESTARTS = %q, want %q", got, want)
			}
		})
	}
}

func TestPodWideCells(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: objMeta("web"),
		Spec: corev1.PodSpec{NodeName: "n1", Containers: containers("c"),
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "a"}, {ConditionType: "b"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, NominatedNodeName: "n2",
			PodIPs:            []corev1.PodIP{{IP: "10.0.0.5"}, {IP: "fd00::5"}},
			Conditions:        []corev1.PodCondition{{Type: "a", Status: corev1.ConditionTrue}, {Type: "b", Status: corev1.ConditionFalse}},
			ContainerStatuses: []corev1.ContainerStatus{running("c", true, 0)}}}
	want := []interface{}{"web", "1/1", "Running", "0", "5m", "10.0.0.5", "n1", "n2", "1/2"}
	got, err := Cells(pod, testNow)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Cells = %#v, %v; want %#v", got, err, want)
	}
	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare"}}
	want = []interface{}{"bare", "0/0", "", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"}
	if got, _ := Cells(bare, testNow); !reflect.DeepEqual(got, want) {
		t.Errorf("Cells(bare) = %#v, want %#v", got, want)
	}
}
