package podgc

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Terminated reports whether pod reached a terminal phase.
func Terminated(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// evicted reports whether the kubelet evicted pod.
func evicted(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed && pod.Status.Reason == "Evicted"
}

// TerminatedToDelete returns the terminated pods above threshold, in the
// order upstream deletes them: evicted pods first, then oldest creation
// first, names breaking ties. threshold <= 0 disables this collection.
func TerminatedToDelete(pods []*corev1.Pod, threshold int) []*corev1.Pod {
	if threshold <= 0 {
		return nil
	}
	var term []*corev1.Pod
	for _, p := range pods {
		if Terminated(p) {
			term = append(term, p)
		}
	}
	n := len(term) - threshold
	if n <= 0 {
		return nil
	}
	slices.SortFunc(term, func(a, b *corev1.Pod) int {
		if ea, eb := evicted(a), evicted(b); ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		if c := a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return term[:n]
}

// MissingNodes returns the nodes pods are bound to that are not in nodes.
func MissingNodes(pods []*corev1.Pod, nodes map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName != "" && !nodes[p.Spec.NodeName] {
			out[p.Spec.NodeName] = true
		}
	}
	return out
}

// OnNodes returns the pods bound to one of nodes.
func OnNodes(pods []*corev1.Pod, nodes map[string]bool) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Spec.NodeName != "" && nodes[p.Spec.NodeName] {
			out = append(out, p)
		}
	}
	return out
}

// UnscheduledTerminating returns the terminating pods never bound to a node.
func UnscheduledTerminating(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.DeletionTimestamp != nil && p.Spec.NodeName == "" {
			out = append(out, p)
		}
	}
	return out
}

// TerminatingOutOfService returns the terminating pods on nodes that are
// not ready and carry the node.kubernetes.io/out-of-service taint.
func TerminatingOutOfService(pods []*corev1.Pod, nodes map[string]*corev1.Node) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		n := nodes[p.Spec.NodeName]
		if p.DeletionTimestamp == nil || n == nil || ready(n) {
			continue
		}
		if slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeOutOfService }) {
			out = append(out, p)
		}
	}
	return out
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// quarantine remembers since when nodes are missing.
type quarantine map[string]time.Time

// due records the missing nodes, forgets the ones back, and returns the
// nodes missing for at least wait, sorted.
func (q quarantine) due(missing map[string]bool, now time.Time, wait time.Duration) []string {
	for n := range q {
		if !missing[n] {
			delete(q, n)
		}
	}
	var out []string
	for n := range missing {
		since, ok := q[n]
		if !ok {
			q[n] = now
			continue
		}
		if now.Sub(since) >= wait {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
