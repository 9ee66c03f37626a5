package eviction

import (
	"cmp"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// systemCriticalPriority is the priority of system-cluster-critical and
// above: such pods are never evicted.
const systemCriticalPriority = 2000000000

// compareFunc orders two pods: negative means a is evicted first.
type compareFunc func(a, b PodUsage) int

// rank orders pods for eviction under the signal, as upstream: memory —
// pods above their requests first, then lower priority, then more usage
// above requests; disk — the same over ephemeral storage (or inodes); pid —
// lower priority, then more processes. pods is not modified.
func rank(s Signal, pods []PodUsage) []PodUsage {
	res, _, _ := signalInfo(s)
	var order []compareFunc
	switch res {
	case v1.ResourceMemory, v1.ResourceEphemeralStorage, resourceInodes:
		order = []compareFunc{exceedsRequests(res), byPriority, byUsageAboveRequests(res)}
	default:
		order = []compareFunc{byPriority, byProcesses}
	}
	out := slices.Clone(pods)
	slices.SortStableFunc(out, func(a, b PodUsage) int {
		for _, f := range order {
			if c := f(a, b); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// exceedsRequests puts pods without stats, then pods using more than they
// request, first.
func exceedsRequests(res v1.ResourceName) compareFunc {
	return func(a, b PodUsage) int {
		if !a.HasStats || !b.HasStats {
			return -cmpBool(!a.HasStats, !b.HasStats)
		}
		ua, ub := podUsage(a, res), podUsage(b, res)
		ra, rb := podRequest(a.Pod, res), podRequest(b.Pod, res)
		return -cmpBool(ua.Cmp(ra) > 0, ub.Cmp(rb) > 0)
	}
}

// byPriority puts lower priority first.
func byPriority(a, b PodUsage) int {
	return cmp.Compare(priority(a.Pod), priority(b.Pod))
}

// byUsageAboveRequests puts the larger usage above requests first.
func byUsageAboveRequests(res v1.ResourceName) compareFunc {
	return func(a, b PodUsage) int {
		if !a.HasStats || !b.HasStats {
			return -cmpBool(!a.HasStats, !b.HasStats)
		}
		ua, ub := podUsage(a, res), podUsage(b, res)
		ua.Sub(podRequest(a.Pod, res))
		ub.Sub(podRequest(b.Pod, res))
		return ub.Cmp(ua)
	}
}

// byProcesses puts more processes first.
func byProcesses(a, b PodUsage) int {
	var pa, pb int64
	if a.Processes != nil {
		pa = *a.Processes
	}
	if b.Processes != nil {
		pb = *b.Processes
	}
	return cmp.Compare(pb, pa)
}

// cmpBool orders true after false.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func priority(pod *v1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// isCritical: static and mirror pods and pods of system-critical priority
// are never evicted.
func isCritical(pod *v1.Pod) bool {
	if src, ok := pod.Annotations["kubernetes.io/config.source"]; ok && src != "api" {
		return true
	}
	if _, ok := pod.Annotations["kubernetes.io/config.mirror"]; ok {
		return true
	}
	return priority(pod) >= systemCriticalPriority
}

// podUsage sums the containers' usage of res.
func podUsage(pu PodUsage, res v1.ResourceName) resource.Quantity {
	total := resource.Quantity{}
	for _, c := range pu.Containers {
		var q *resource.Quantity
		if res == resourceInodes {
			q = c.Inodes
		} else {
			q = c.usageOf(res)
		}
		if q != nil {
			total.Add(*q)
		}
	}
	return total
}

// podRequest is the pod's effective request of res: the larger of the sum
// of its containers' and its largest init container's, plus overhead.
func podRequest(pod *v1.Pod, res v1.ResourceName) resource.Quantity {
	sum := resource.Quantity{}
	for _, c := range pod.Spec.Containers {
		if q, ok := c.Resources.Requests[res]; ok {
			sum.Add(q)
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if q, ok := c.Resources.Requests[res]; ok && q.Cmp(sum) > 0 {
			sum = q.DeepCopy()
		}
	}
	if q, ok := pod.Spec.Overhead[res]; ok {
		sum.Add(q)
	}
	return sum
}
