package kubelet

import (
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// waitingReason is why a container is not running, remembered from the last
// sync (ErrImagePull, ImagePullBackOff, CrashLoopBackOff,
// CreateContainerConfigError, …) until it starts.
type waitingReason struct{ Reason, Message string }

// statusInput is the snapshot computeStatus works on.
type statusInput struct {
	Pod         *v1.Pod
	State       *podState
	Ready       func(name string) bool
	Started     func(name string) bool
	Waiting     map[string]waitingReason
	RuntimeName string // prefix of containerID, e.g. "containerd"
	HostIPs     []string
	Now         time.Time
}

// computeStatus derives the pod status the kubelet reports. It keeps what
// the kubelet does not own (other conditions, nominatedNodeName, …) from the
// pod's current status, keeps transition times of unchanged conditions, and
// never moves a terminal phase back.
func computeStatus(in statusInput) v1.PodStatus {
	pod, old := in.Pod, in.Pod.Status
	s := *old.DeepCopy()
	s.QOSClass = qosClass(pod)
	initDefault := "PodInitializing"
	s.InitContainerStatuses = nil
	for i := range pod.Spec.InitContainers {
		s.InitContainerStatuses = append(s.InitContainerStatuses, containerStatus(in, &pod.Spec.InitContainers[i], "PodInitializing"))
	}
	if initDone(pod, in.State) || len(pod.Spec.InitContainers) == 0 {
		initDefault = "ContainerCreating"
	}
	s.ContainerStatuses = nil
	for i := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, containerStatus(in, &pod.Spec.Containers[i], initDefault))
	}
	s.Phase = podPhase(pod, s.InitContainerStatuses, s.ContainerStatuses, initDone(pod, in.State))
	if old.Phase == v1.PodSucceeded || old.Phase == v1.PodFailed {
		s.Phase = old.Phase
	}
	if len(in.HostIPs) > 0 {
		s.HostIP = in.HostIPs[0]
		s.HostIPs = toHostIPs(in.HostIPs)
	}
	ips := podIPs(pod, in.State, in.HostIPs)
	if len(ips) > 0 {
		s.PodIP = ips[0]
		s.PodIPs = nil
		for _, ip := range ips {
			s.PodIPs = append(s.PodIPs, v1.PodIP{IP: ip})
		}
	}
	if s.StartTime == nil {
		t := apiTime(in.Now)
		s.StartTime = &t
	}
	s.Conditions = mergeConditions(old.Conditions, kubeletConditions(in, &s), in.Now)
	return s
}

func toHostIPs(ips []string) []v1.HostIP {
	out := make([]v1.HostIP, 0, len(ips))
	for _, ip := range ips {
		out = append(out, v1.HostIP{IP: ip})
	}
	return out
}

// podIPs are the ready sandbox's IPs, or the node's for hostNetwork pods.
func podIPs(pod *v1.Pod, st *podState, hostIPs []string) []string {
	if pod.Spec.HostNetwork {
		return hostIPs
	}
	if sb := st.readySandbox(); sb != nil {
		return sb.IPs
	}
	return nil
}

// containerStatus reports one container from its newest instances.
func containerStatus(in statusInput, c *v1.Container, defaultReason string) v1.ContainerStatus {
	cs := v1.ContainerStatus{Name: c.Name, Image: c.Image}
	l, prev := in.State.latest(c.Name), in.State.previous(c.Name)
	w, hasWait := in.Waiting[c.Name]
	if l == nil {
		if hasWait {
			cs.State.Waiting = &v1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
		} else {
			cs.State.Waiting = &v1.ContainerStateWaiting{Reason: defaultReason}
		}
		cs.Started = ptrBool(false)
		return cs
	}
	cs.ContainerID = in.RuntimeName + "://" + l.ID
	cs.ImageID = l.ImageRef
	if l.Image != "" {
		cs.Image = l.Image
	}
	cs.RestartCount = l.RestartCount
	if prev != nil && prev.exited() {
		cs.LastTerminationState.Terminated = terminatedState(in.RuntimeName, prev)
	}
	cs.Started = ptrBool(false)
	switch {
	case l.running():
		cs.State.Running = &v1.ContainerStateRunning{StartedAt: apiTime(l.StartedAt)}
		cs.Started = ptrBool(in.Started == nil || in.Started(c.Name))
		cs.Ready = in.Ready == nil || in.Ready(c.Name)
	case l.State == runtimeapi.ContainerState_CONTAINER_CREATED && hasWait:
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
	case l.State == runtimeapi.ContainerState_CONTAINER_CREATED:
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: "ContainerCreating"}
	case hasWait:
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
		cs.LastTerminationState.Terminated = terminatedState(in.RuntimeName, l)
	default:
		cs.State.Terminated = terminatedState(in.RuntimeName, l)
	}
	return cs
}

func ptrBool(b bool) *bool { return &b }

// terminatedState reports an exited instance with the upstream reasons.
func terminatedState(runtimeName string, c *containerState) *v1.ContainerStateTerminated {
	reason := c.Reason
	switch {
	case reason == "OOMKilled":
	case c.ExitCode == 0:
		reason = "Completed"
	default:
		reason = "Error"
	}
	return &v1.ContainerStateTerminated{
		ExitCode: c.ExitCode, Reason: reason, Message: c.Message,
		StartedAt: apiTime(c.StartedAt), FinishedAt: apiTime(c.FinishedAt),
		ContainerID: runtimeName + "://" + c.ID,
	}
}

// podPhase applies the upstream phase rules to the container statuses.
func podPhase(pod *v1.Pod, initStatuses, statuses []v1.ContainerStatus, initialized bool) v1.PodPhase {
	pendingInit, failedInit := 0, false
	for i, cs := range initStatuses {
		spec := &pod.Spec.InitContainers[i]
		switch {
		case isSidecar(spec):
			if !initialized && !(cs.State.Running != nil && cs.Started != nil && *cs.Started) {
				pendingInit++
			}
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
		case cs.State.Terminated != nil:
			failedInit = true
		case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.ExitCode != 0:
			failedInit = true
		default:
			if !initialized {
				pendingInit++
			}
		}
	}
	if failedInit && pod.Spec.RestartPolicy == v1.RestartPolicyNever {
		return v1.PodFailed
	}
	if pendingInit > 0 || (failedInit && !initialized) {
		return v1.PodPending
	}
	var running, waiting, stopped, succeeded int
	for _, cs := range statuses {
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return v1.PodPending
	case running > 0:
		return v1.PodRunning
	case stopped > 0:
		if pod.Spec.RestartPolicy == v1.RestartPolicyAlways {
			return v1.PodRunning
		}
		if stopped == succeeded && allTerminated(statuses) {
			return v1.PodSucceeded
		}
		if pod.Spec.RestartPolicy == v1.RestartPolicyNever {
			return v1.PodFailed
		}
		return v1.PodRunning
	}
	return v1.PodPending
}

func allTerminated(statuses []v1.ContainerStatus) bool {
	for _, cs := range statuses {
		if cs.State.Terminated == nil {
			return false
		}
	}
	return true
}

// kubeletConditions computes the four conditions the kubelet owns.
func kubeletConditions(in statusInput, s *v1.PodStatus) []v1.PodCondition {
	pod := in.Pod
	sandbox := v1.PodCondition{Type: v1.PodReadyToStartContainers, Status: v1.ConditionFalse}
	if in.State.readySandbox() != nil {
		sandbox.Status = v1.ConditionTrue
	}
	initC := v1.PodCondition{Type: v1.PodInitialized, Status: v1.ConditionTrue}
	if !initDone(pod, in.State) && len(pod.Spec.InitContainers) > 0 {
		var pending []string
		for i, cs := range s.InitContainerStatuses {
			done := cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0
			if isSidecar(&pod.Spec.InitContainers[i]) {
				done = cs.State.Running != nil && cs.Started != nil && *cs.Started
			}
			if !done {
				pending = append(pending, cs.Name)
			}
		}
		if len(pending) > 0 {
			initC.Status, initC.Reason = v1.ConditionFalse, "ContainersNotInitialized"
			initC.Message = fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(pending, " "))
		}
	}
	if s.Phase == v1.PodSucceeded && initC.Status == v1.ConditionTrue {
		initC.Reason = "PodCompleted"
	}
	cr := v1.PodCondition{Type: v1.ContainersReady, Status: v1.ConditionTrue}
	var unready []string
	for i, cs := range s.InitContainerStatuses {
		if isSidecar(&pod.Spec.InitContainers[i]) && !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	for _, cs := range s.ContainerStatuses {
		if !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	switch {
	case s.Phase == v1.PodSucceeded || s.Phase == v1.PodFailed:
		cr.Status, cr.Reason = v1.ConditionFalse, "PodCompleted"
	case len(unready) > 0:
		cr.Status, cr.Reason = v1.ConditionFalse, "ContainersNotReady"
		cr.Message = fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
	}
	ready := cr
	ready.Type = v1.PodReady
	if cr.Status == v1.ConditionTrue {
		ready = readinessGates(pod, ready)
	}
	return []v1.PodCondition{sandbox, initC, ready, cr}
}

// readinessGates turns Ready false while a readiness gate is not True.
func readinessGates(pod *v1.Pod, ready v1.PodCondition) v1.PodCondition {
	var msgs []string
	for _, g := range pod.Spec.ReadinessGates {
		found := false
		for _, c := range pod.Status.Conditions {
			if c.Type != g.ConditionType {
				continue
			}
			found = true
			if c.Status != v1.ConditionTrue {
				msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", g.ConditionType, c.Status))
			}
		}
		if !found {
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType))
		}
	}
	if len(msgs) > 0 {
		ready.Status, ready.Reason, ready.Message = v1.ConditionFalse, "ReadinessGatesNotReady", strings.Join(msgs, ", ")
	}
	return ready
}

// mergeConditions replaces the kubelet's conditions in old, keeping other
// conditions and the transition time of any condition whose status did not
// change.
func mergeConditions(old, mine []v1.PodCondition, now time.Time) []v1.PodCondition {
	owned := map[v1.PodConditionType]bool{}
	for _, c := range mine {
		owned[c.Type] = true
	}
	var out []v1.PodCondition
	for _, c := range old {
		if !owned[c.Type] {
			out = append(out, c)
		}
	}
	for _, c := range mine {
		c.LastTransitionTime = apiTime(now)
		for _, o := range old {
			if o.Type == c.Type && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
				c.LastProbeTime = o.LastProbeTime
			}
		}
		out = append(out, c)
	}
	return out
}

// apiTime truncates to the second, the precision the API stores, so a
// recomputed status compares equal to the stored one.
func apiTime(t time.Time) metav1.Time {
	if t.IsZero() {
		return metav1.Time{}
	}
	return metav1.NewTime(t.Truncate(time.Second))
}
