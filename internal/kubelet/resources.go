package kubelet

import (
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Upstream CPU and OOM constants.
const (
	minShares             = 2
	sharesPerCPU          = 1024
	quotaPeriod           = 100000 // µs
	minQuota              = 1000
	guaranteedOOMScoreAdj = -997
	besteffortOOMScoreAdj = 1000
)

// qosClass computes the pod's QoS class as upstream: Guaranteed when every
// container limits cpu and memory with requests equal to limits, BestEffort
// when no container requests or limits cpu or memory, Burstable otherwise.
func qosClass(pod *v1.Pod) v1.PodQOSClass {
	some, guaranteed := false, true
	all := append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, r := range []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			if (hasReq && !req.IsZero()) || (hasLim && !lim.IsZero()) {
				some = true
			}
			if !hasLim || lim.IsZero() || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !some:
		return v1.PodQOSBestEffort
	case guaranteed:
		return v1.PodQOSGuaranteed
	}
	return v1.PodQOSBurstable
}

// cgroupParent is the pod's cgroup under the cgroupfs driver.
func cgroupParent(pod *v1.Pod) string {
	switch qosClass(pod) {
	case v1.PodQOSGuaranteed:
		return "/kubepods/pod" + string(pod.UID)
	case v1.PodQOSBestEffort:
		return "/kubepods/besteffort/pod" + string(pod.UID)
	}
	return "/kubepods/burstable/pod" + string(pod.UID)
}

// milliCPUToShares converts a cpu request to cgroup cpu.shares.
func milliCPUToShares(milli int64) int64 {
	if milli == 0 {
		return minShares
	}
	s := milli * sharesPerCPU / 1000
	if s < minShares {
		return minShares
	}
	return s
}

// milliCPUToQuota converts a cpu limit to a CFS quota for quotaPeriod.
func milliCPUToQuota(milli int64) int64 {
	if milli == 0 {
		return 0
	}
	q := milli * quotaPeriod / 1000
	if q < minQuota {
		return minQuota
	}
	return q
}

// oomScoreAdj is the container's oom_score_adj per QoS, as upstream.
func oomScoreAdj(pod *v1.Pod, c *v1.Container, memoryCapacity int64) int64 {
	switch qosClass(pod) {
	case v1.PodQOSGuaranteed:
		return guaranteedOOMScoreAdj
	case v1.PodQOSBestEffort:
		return besteffortOOMScoreAdj
	}
	if memoryCapacity <= 0 {
		return besteffortOOMScoreAdj - 1
	}
	req := c.Resources.Requests.Memory().Value()
	adj := 1000 - (1000*req)/memoryCapacity
	if adj < 1000+guaranteedOOMScoreAdj {
		return 1000 + guaranteedOOMScoreAdj
	}
	if adj == besteffortOOMScoreAdj {
		return adj - 1
	}
	return adj
}

// linuxResources maps a container's requests and limits to CRI.
func linuxResources(pod *v1.Pod, c *v1.Container, memoryCapacity int64) *runtimeapi.LinuxContainerResources {
	cpuReq := c.Resources.Requests.Cpu()
	if _, ok := c.Resources.Requests[v1.ResourceCPU]; !ok {
		if l, ok := c.Resources.Limits[v1.ResourceCPU]; ok {
			cpuReq = &l
		}
	}
	r := &runtimeapi.LinuxContainerResources{
		CpuShares:          milliCPUToShares(cpuReq.MilliValue()),
		MemoryLimitInBytes: quantityValue(c.Resources.Limits, v1.ResourceMemory),
		OomScoreAdj:        oomScoreAdj(pod, c, memoryCapacity),
	}
	if l, ok := c.Resources.Limits[v1.ResourceCPU]; ok {
		r.CpuPeriod = quotaPeriod
		r.CpuQuota = milliCPUToQuota(l.MilliValue())
	}
	return r
}

func quantityValue(l v1.ResourceList, n v1.ResourceName) int64 {
	if q, ok := l[n]; ok {
		return q.Value()
	}
	return 0
}
