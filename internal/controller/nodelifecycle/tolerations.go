package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Eviction is the taint manager's decision for one pod.
type Eviction struct {
	Evict bool          // the pod must go
	After time.Duration // how long after it was first seen tainted; 0 is at once
}

// EvictionFor decides what happens to a pod with tolerations on a node
// with taints, as upstream's taint-based eviction: no NoExecute taint keeps
// the pod; a NoExecute taint the pod does not tolerate evicts it at once;
// otherwise it goes after the shortest tolerationSeconds of the tolerations
// used, and stays forever if none of them is time-bounded.
func EvictionFor(taints []corev1.Taint, tolerations []corev1.Toleration) Eviction {
	var used []corev1.Toleration
	for i := range taints {
		t := &taints[i]
		if t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		matched := false
		for _, tol := range tolerations {
			if tol.ToleratesTaint(klog.Background(), t, true) {
				used = append(used, tol)
				matched = true
			}
		}
		if !matched {
			return Eviction{Evict: true}
		}
	}
	if len(used) == 0 {
		return Eviction{}
	}
	minSeconds := int64(-1)
	for _, tol := range used {
		if tol.TolerationSeconds == nil {
			continue
		}
		s := *tol.TolerationSeconds
		if s <= 0 {
			return Eviction{Evict: true}
		}
		if minSeconds < 0 || s < minSeconds {
			minSeconds = s
		}
	}
	if minSeconds < 0 {
		return Eviction{}
	}
	return Eviction{Evict: true, After: time.Duration(minSeconds) * time.Second}
}
