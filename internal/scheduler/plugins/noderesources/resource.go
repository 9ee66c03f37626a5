package noderesources

import (
	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// amount returns the quantity of one resource in r (cpu in millicores).
func amount(r *framework.Resource, name v1.ResourceName) int64 {
	switch name {
	case v1.ResourceCPU:
		return r.MilliCPU
	case v1.ResourceMemory:
		return r.Memory
	case v1.ResourceEphemeralStorage:
		return r.EphemeralStorage
	case v1.ResourcePods:
		return r.AllowedPodNumber
	}
	return r.Scalar[name]
}

// requestedWithPod returns what the node's pods plus pod request of name;
// for cpu and memory with nonZero the scoring defaults apply.
func requestedWithPod(node *framework.NodeInfo, pi *framework.PodInfo, name v1.ResourceName, nonZero bool) int64 {
	if nonZero && (name == v1.ResourceCPU || name == v1.ResourceMemory) {
		return amount(&node.NonZeroRequested, name) + amount(&pi.NonZero, name)
	}
	return amount(&node.Requested, name) + amount(&pi.Requests, name)
}

const podInfoKey framework.StateKey = "PreFilterNodeResourcesFit"

// podInfo reads the PodInfo that PreFilter or PreScore stored, or computes it.
func podInfo(state *framework.CycleState, pod *v1.Pod) *framework.PodInfo {
	if pi, ok := state.CyclePodInfo(pod); ok {
		return pi // what PreFilter and PreScore store, found without a lookup
	}
	if state != nil {
		if v, ok := state.Read(podInfoKey); ok {
			if pi, ok := v.(*framework.PodInfo); ok && pi.Pod == pod {
				return pi
			}
		}
	}
	return state.PodInfo(pod)
}
