package eviction

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
)

// Reason is the reason of pods the kubelet evicts or rejects for node
// pressure.
const Reason = "Evicted"

// AdmitPod is upstream's eviction admission rule: without pressure every
// pod is admitted, and so are critical pods (static, mirror, or of
// system-critical priority) under any pressure. Under MemoryPressure alone
// only BestEffort pods are rejected, unless they tolerate the
// memory-pressure taint. Any other pressure (DiskPressure, PIDPressure)
// rejects every other pod. A rejection has reason Evicted and the message
// "The node had condition: [<conditions>]. ".
func AdmitPod(pressure []v1.NodeConditionType, pod *v1.Pod) (admit bool, reason, message string) {
	if len(pressure) == 0 || isCritical(pod) {
		return true, "", ""
	}
	if len(pressure) == 1 && pressure[0] == v1.NodeMemoryPressure {
		if !bestEffort(pod) || toleratesNoSchedule(pod.Spec.Tolerations, v1.TaintNodeMemoryPressure) {
			return true, "", ""
		}
	}
	return false, Reason, fmt.Sprintf("The node had condition: %v. ", pressure)
}

// bestEffort: no container (init containers included) requests or limits
// cpu or memory.
func bestEffort(pod *v1.Pod) bool {
	all := append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, r := range []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory} {
			if q, ok := c.Resources.Requests[r]; ok && !q.IsZero() {
				return false
			}
			if q, ok := c.Resources.Limits[r]; ok && !q.IsZero() {
				return false
			}
		}
	}
	return true
}

// toleratesNoSchedule reports whether a toleration tolerates the taint
// key:NoSchedule (which has no value).
func toleratesNoSchedule(tolerations []v1.Toleration, key string) bool {
	for _, t := range tolerations {
		if t.Effect != "" && t.Effect != v1.TaintEffectNoSchedule {
			continue
		}
		switch {
		case t.Key == "" && t.Operator == v1.TolerationOpExists:
			return true
		case t.Key != key:
			continue
		case t.Operator == v1.TolerationOpExists:
			return true
		case (t.Operator == "" || t.Operator == v1.TolerationOpEqual) && t.Value == "":
			return true
		}
	}
	return false
}
