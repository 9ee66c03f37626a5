package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NoScheduleTaints returns the condition-based NoSchedule taints node must
// carry, as upstream's TaintNodesByCondition.
func NoScheduleTaints(node *corev1.Node) []corev1.Taint {
	var out []corev1.Taint
	add := func(key string) {
		out = append(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
	}
	for _, c := range node.Status.Conditions {
		switch {
		case c.Type == corev1.NodeReady && c.Status == corev1.ConditionFalse:
			add(corev1.TaintNodeNotReady)
		case c.Type == corev1.NodeReady && c.Status == corev1.ConditionUnknown:
			add(corev1.TaintNodeUnreachable)
		case c.Type == corev1.NodeMemoryPressure && c.Status == corev1.ConditionTrue:
			add(corev1.TaintNodeMemoryPressure)
		case c.Type == corev1.NodeDiskPressure && c.Status == corev1.ConditionTrue:
			add(corev1.TaintNodeDiskPressure)
		case c.Type == corev1.NodePIDPressure && c.Status == corev1.ConditionTrue:
			add(corev1.TaintNodePIDPressure)
		case c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionTrue:
			add(corev1.TaintNodeNetworkUnavailable)
		}
	}
	if node.Spec.Unschedulable {
		add(corev1.TaintNodeUnschedulable)
	}
	return out
}

// noScheduleKeys are the NoSchedule taint keys this controller owns.
func noScheduleKeys() []string {
	return []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable, corev1.TaintNodeMemoryPressure,
		corev1.TaintNodeDiskPressure, corev1.TaintNodePIDPressure, corev1.TaintNodeNetworkUnavailable,
		corev1.TaintNodeUnschedulable}
}

// noExecuteKeys are the NoExecute taint keys this controller owns.
func noExecuteKeys() []string {
	return []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable}
}

// NoExecuteKey is the NoExecute taint key a node with the given Ready status
// must carry: not-ready for False, unreachable for Unknown, "" for True.
func NoExecuteKey(ready corev1.ConditionStatus) string {
	switch ready {
	case corev1.ConditionFalse:
		return corev1.TaintNodeNotReady
	case corev1.ConditionTrue:
		return ""
	default:
		return corev1.TaintNodeUnreachable
	}
}

// ReconcileTaints returns current with the taints of effect whose keys are
// in owned replaced by want. Taints present in both keep their timeAdded; a
// new NoExecute taint gets timeAdded now. changed is false when the result
// equals current. current is not modified.
func ReconcileTaints(current, want []corev1.Taint, effect corev1.TaintEffect, owned []string, now time.Time) ([]corev1.Taint, bool) {
	isOwned := func(t corev1.Taint) bool {
		if t.Effect != effect {
			return false
		}
		for _, k := range owned {
			if t.Key == k {
				return true
			}
		}
		return false
	}
	find := func(list []corev1.Taint, t corev1.Taint) bool {
		for _, x := range list {
			if x.Key == t.Key && x.Effect == t.Effect {
				return true
			}
		}
		return false
	}
	out := make([]corev1.Taint, 0, len(current)+len(want))
	changed := false
	for _, t := range current {
		if isOwned(t) && !find(want, t) {
			changed = true
			continue
		}
		out = append(out, t)
	}
	for _, t := range want {
		if find(current, t) {
			continue
		}
		if t.Effect == corev1.TaintEffectNoExecute && t.TimeAdded == nil {
			ts := metav1.NewTime(now)
			t.TimeAdded = &ts
		}
		out = append(out, t)
		changed = true
	}
	return out, changed
}

// hasTaint reports whether taints holds key with effect.
func hasTaint(taints []corev1.Taint, key string, effect corev1.TaintEffect) bool {
	for _, t := range taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}
