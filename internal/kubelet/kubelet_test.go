package kubelet

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestSyncStartsPod(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.probes.ready = true
	h.sync("web")
	if got := callsOf(h.rt.Calls(), "RunPodSandbox", "CreateContainer", "StartContainer"); !reflect.DeepEqual(got,
		[]string{"RunPodSandbox", "CreateContainer", "StartContainer"}) {
		t.Fatalf("calls = %v", got)
	}
	events := h.drainEvents()
	for _, want := range []string{
		`Normal Pulled Container image "busybox:1.0" already present on machine`,
		"Normal Created Created container: a",
		"Normal Started Started container a",
	} {
		if !hasEvent(events, want) {
			t.Errorf("missing event %q in\n%s", want, joinLines(events))
		}
	}
	c := h.newest("a")
	cfg := c.config
	if cfg.Labels[labelPodUID] != "uid-web" || cfg.Labels[labelContainerName] != "a" ||
		cfg.Annotations[annotationRestartCount] != "0" || cfg.LogPath != "a/0.log" || cfg.Image.Image != "sha256:busybox:1.0" {
		t.Errorf("container config labels %v annotations %v logPath %q image %q", cfg.Labels, cfg.Annotations, cfg.LogPath, cfg.Image.Image)
	}
	mounts := map[string]string{}
	for _, m := range cfg.Mounts {
		mounts[m.ContainerPath] = m.HostPath
	}
	if !strings.HasSuffix(mounts["/etc/hosts"], "/pods/uid-web/etc-hosts") ||
		!strings.HasSuffix(mounts["/dev/termination-log"], "/pods/uid-web/containers/a/0") {
		t.Errorf("mounts = %v", mounts)
	}
	if cfg.Linux.Resources.CpuShares != 2 || cfg.Linux.Resources.OomScoreAdj != 1000 {
		t.Errorf("best-effort resources = %+v", cfg.Linux.Resources)
	}
	pod := h.pod("web")
	st := pod.Status
	if st.Phase != v1.PodRunning || st.PodIP != "10.88.0.7" || st.HostIP != "192.0.2.1" || st.QOSClass != v1.PodQOSBestEffort {
		t.Fatalf("status = %+v", st)
	}
	cs := st.ContainerStatuses[0]
	if cs.State.Running == nil || !cs.Ready || cs.ContainerID != "containerd://"+c.status.Id || cs.ImageID != "sha256:busybox:1.0" {
		t.Errorf("container status = %+v", cs)
	}
	if condition(st, v1.PodReady).Status != v1.ConditionTrue {
		t.Errorf("conditions = %+v", st.Conditions)
	}
	if h.probes.updated == 0 {
		t.Error("prober not told about the pod")
	}
}

func TestSandboxConfig(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.sync("web")
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	for _, sb := range h.rt.sandboxes {
		if sb.Metadata.Name != "web" || sb.Metadata.Namespace != "ns" || sb.Metadata.Uid != "uid-web" || sb.Labels[labelPodUID] != "uid-web" {
			t.Errorf("sandbox metadata %v labels %v", sb.Metadata, sb.Labels)
		}
	}
	pod := basicPod("web", v1.RestartPolicyAlways)
	cfg := sandboxConfig(pod, 0, h.k.sandbox)
	if cfg.Hostname != "web" || cfg.Linux.CgroupParent != "/kubepods/besteffort/poduid-web" ||
		!strings.HasSuffix(cfg.LogDirectory, "/ns_web_uid-web") {
		t.Errorf("sandbox config hostname %q cgroup %q logdir %q", cfg.Hostname, cfg.Linux.CgroupParent, cfg.LogDirectory)
	}
	if !reflect.DeepEqual(cfg.DnsConfig.Servers, []string{"10.96.0.10"}) || cfg.DnsConfig.Searches[0] != "ns.svc.cluster.local" ||
		!reflect.DeepEqual(cfg.DnsConfig.Options, []string{"ndots:5"}) {
		t.Errorf("dns = %+v", cfg.DnsConfig)
	}
	pod.Spec.HostNetwork = true
	if ns := sandboxConfig(pod, 0, h.k.sandbox).Linux.SecurityContext.NamespaceOptions; ns.Network != runtimeapi.NamespaceMode_NODE {
		t.Errorf("hostNetwork namespace = %v", ns.Network)
	}
}

func TestAdoptionAfterRestart(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.sync("web")
	before := len(h.rt.Calls())
	h.k = h.newKubelet() // a restarted kubelet knows nothing but what CRI says
	h.sync("web")
	after := h.rt.Calls()[before:]
	if got := callsOf(after, "RunPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "StopPodSandbox"); len(got) != 0 {
		t.Fatalf("restarted kubelet touched a running pod: %v", got)
	}
	if cs := h.pod("web").Status.ContainerStatuses[0]; cs.State.Running == nil {
		t.Errorf("status after adoption = %+v", cs.State)
	}
}

func TestCrashLoopBackOff(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.sync("web")
	h.clock.Step(time.Minute)
	h.exitContainer("a", 1)
	h.sync("web") // first restart is immediate
	if c := h.newest("a"); c.status.Metadata.Attempt != 1 || c.status.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("after first crash: attempt %d state %v", c.status.Metadata.Attempt, c.status.State)
	}
	h.exitContainer("a", 1)
	h.drainEvents()
	h.sync("web")
	cs := h.pod("web").Status.ContainerStatuses[0]
	want := "back-off 10s restarting failed container=a pod=web_ns(uid-web)"
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "CrashLoopBackOff" || cs.State.Waiting.Message != want {
		t.Fatalf("state = %+v, want CrashLoopBackOff %q", cs.State, want)
	}
	if cs.RestartCount != 1 || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
		t.Errorf("restartCount %d lastState %+v", cs.RestartCount, cs.LastTerminationState)
	}
	if ev := h.drainEvents(); !hasEvent(ev, "Warning BackOff Back-off restarting failed container a in pod web_ns(uid-web)") {
		t.Errorf("events = %v", ev)
	}
	h.clock.Step(10 * time.Second)
	h.sync("web")
	cs = h.pod("web").Status.ContainerStatuses[0]
	if cs.State.Running == nil || cs.RestartCount != 2 {
		t.Fatalf("after back-off: %+v restarts %d", cs.State, cs.RestartCount)
	}
	h.exitContainer("a", 1)
	h.sync("web")
	if cs = h.pod("web").Status.ContainerStatuses[0]; cs.State.Waiting == nil || !strings.HasPrefix(cs.State.Waiting.Message, "back-off 20s") {
		t.Errorf("second back-off = %+v", cs.State)
	}
}

func TestNeverPodSucceeds(t *testing.T) {
	h := newHarness(t, basicPod("job", v1.RestartPolicyNever))
	h.sync("job")
	h.exitContainer("a", 0)
	h.sync("job")
	pod := h.pod("job")
	if pod.Status.Phase != v1.PodSucceeded {
		t.Fatalf("phase = %s", pod.Status.Phase)
	}
	if cs := pod.Status.ContainerStatuses[0]; cs.State.Terminated == nil || cs.State.Terminated.Reason != "Completed" {
		t.Errorf("state = %+v", cs.State)
	}
	if got := callsOf(h.rt.Calls(), "StopPodSandbox", "CreateContainer"); !reflect.DeepEqual(got, []string{"CreateContainer", "StopPodSandbox"}) {
		t.Errorf("calls = %v: want the sandbox stopped and nothing restarted", got)
	}
	if len(h.vols.torn) != 1 {
		t.Errorf("volumes torn down %d times", len(h.vols.torn))
	}
	h.sync("job")
	if got := callsOf(h.rt.Calls(), "CreateContainer", "RunPodSandbox"); len(got) != 2 {
		t.Errorf("terminal pod was revived: %v", got)
	}
}

func TestCreateContainerConfigError(t *testing.T) {
	pod := basicPod("web", v1.RestartPolicyAlways)
	pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "X", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{
		LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}, Key: "k"}}}}
	h := newHarness(t, pod)
	h.sync("web")
	cs := h.pod("web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "CreateContainerConfigError" || cs.State.Waiting.Message != `configmap "cfg" not found` {
		t.Fatalf("state = %+v", cs.State)
	}
	if ev := h.drainEvents(); !hasEvent(ev, `Warning Failed Error: configmap "cfg" not found`) {
		t.Errorf("events = %v", ev)
	}
	if got := callsOf(h.rt.Calls(), "CreateContainer"); len(got) != 0 {
		t.Errorf("container created despite the config error")
	}
}

func TestRunAsNonRootAgainstImageUser(t *testing.T) {
	yes := true
	pod := basicPod("web", v1.RestartPolicyAlways)
	pod.Spec.SecurityContext = &v1.PodSecurityContext{RunAsNonRoot: &yes}
	h := newHarness(t, pod)
	h.images.images["busybox:1.0"].Uid = &runtimeapi.Int64Value{Value: 0}
	h.sync("web")
	cs := h.pod("web").Status.ContainerStatuses[0]
	want := `container has runAsNonRoot and image will run as root (pod: "web_ns(uid-web)", container: a)`
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "CreateContainerConfigError" || cs.State.Waiting.Message != want {
		t.Fatalf("state = %+v", cs.State)
	}
}

func TestFailedMount(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.vols.err = errorString(`MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`)
	h.sync("web")
	if got := callsOf(h.rt.Calls(), "RunPodSandbox"); len(got) != 0 {
		t.Fatalf("sandbox created before volumes were ready")
	}
	if ev := h.drainEvents(); !hasEvent(ev, `Warning FailedMount MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`) {
		t.Errorf("events = %v", ev)
	}
	st := h.pod("web").Status
	if st.Phase != v1.PodPending || st.ContainerStatuses[0].State.Waiting.Reason != "ContainerCreating" {
		t.Errorf("status = %+v", st)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestImagePullErrors(t *testing.T) {
	pod := basicPod("web", v1.RestartPolicyAlways)
	pod.Spec.Containers[0].Image = "missing:1"
	h := newHarness(t, pod)
	h.images.pullErr = errorString("rpc error: not found")
	h.sync("web")
	cs := h.pod("web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "ErrImagePull" {
		t.Fatalf("state = %+v", cs.State)
	}
	ev := h.drainEvents()
	for _, want := range []string{`Normal Pulling Pulling image "missing:1"`, `Warning Failed Failed to pull image "missing:1": rpc error: not found`, "Warning Failed Error: ErrImagePull"} {
		if !hasEvent(ev, want) {
			t.Errorf("missing %q in %v", want, ev)
		}
	}
	h.sync("web")
	if cs = h.pod("web").Status.ContainerStatuses[0]; cs.State.Waiting.Reason != "ImagePullBackOff" {
		t.Errorf("second sync: %+v", cs.State)
	}
	if len(h.images.pulls) != 1 {
		t.Errorf("pulled %d times within the back-off", len(h.images.pulls))
	}
	h.images.pullErr = nil
	h.clock.Step(11 * time.Second)
	h.sync("web")
	if cs = h.pod("web").Status.ContainerStatuses[0]; cs.State.Running == nil {
		t.Errorf("after back-off: %+v", cs.State)
	}
	if ev := h.drainEvents(); !hasEvent(ev, `Normal Pulled Successfully pulled image "missing:1" in 0s (0s including waiting). Image size: 1234 bytes.`) {
		t.Errorf("events = %v", ev)
	}
}

func TestImageNeverPull(t *testing.T) {
	pod := basicPod("web", v1.RestartPolicyAlways)
	pod.Spec.Containers[0].Image = "missing:1"
	pod.Spec.Containers[0].ImagePullPolicy = v1.PullNever
	h := newHarness(t, pod)
	h.sync("web")
	cs := h.pod("web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "ErrImageNeverPull" ||
		cs.State.Waiting.Message != `Container image "missing:1" is not present with pull policy of Never` {
		t.Fatalf("state = %+v", cs.State)
	}
}

func TestTerminationOrder(t *testing.T) {
	pod := basicPod("web", v1.RestartPolicyAlways)
	pod.Spec.Containers[0].Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"true"}}}}
	h := newHarness(t, pod)
	h.sync("web")
	p := h.pod("web")
	now := metav1.NewTime(h.clock.Now())
	grace := int64(7)
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
	if _, err := h.client.CoreV1().Pods("ns").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := len(h.rt.Calls())
	h.sync("web")
	calls := h.rt.Calls()[start:]
	order := callsOf(calls, "StopContainer", "StopPodSandbox", "RemoveContainer", "RemovePodSandbox")
	if !reflect.DeepEqual(order, []string{"StopContainer", "StopPodSandbox", "RemoveContainer", "RemovePodSandbox"}) {
		t.Fatalf("order = %v", order)
	}
	if len(h.hooks.calls) != 1 || h.hooks.calls[0] != "a@"+strconv.Itoa(start) {
		t.Errorf("preStop hook calls = %v, want before any stop (at call %d)", h.hooks.calls, start)
	}
	if g := h.rt.stopGraces; len(g) != 1 || g[0] != 7 {
		t.Errorf("stop graces = %v, want [7]", g)
	}
	if len(h.vols.torn) != 1 || h.vols.tornAt != len(h.rt.Calls()) {
		t.Errorf("volume teardown %v at call %d, want after the last runtime call", h.vols.torn, h.vols.tornAt)
	}
	if ev := h.drainEvents(); !hasEvent(ev, "Normal Killing Stopping container a") {
		t.Errorf("events = %v", ev)
	}
	if _, err := h.client.CoreV1().Pods("ns").Get(context.Background(), "web", metav1.GetOptions{}); err == nil {
		t.Error("pod object not deleted")
	}
}

func TestStartFailureIsReported(t *testing.T) {
	h := newHarness(t, basicPod("web", v1.RestartPolicyAlways))
	h.rt.errs["StartContainer"] = errorString("failed to create shim task: exec: \"nope\": not found")
	h.sync("web")
	cs := h.pod("web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "RunContainerError" || !strings.Contains(cs.State.Waiting.Message, "not found") {
		t.Fatalf("state = %+v", cs.State)
	}
	h.sync("web") // the next sync starts a fresh instance
	if c := h.newest("a"); c.status.State != runtimeapi.ContainerState_CONTAINER_RUNNING || c.status.Metadata.Attempt != 1 {
		t.Errorf("retry: attempt %d state %v", c.status.Metadata.Attempt, c.status.State)
	}
}
