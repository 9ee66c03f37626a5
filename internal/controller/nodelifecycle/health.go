package nodelifecycle

import (
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Upstream condition reasons and messages for a node whose kubelet is silent.
const (
	ReasonNodeStatusUnknown      = "NodeStatusUnknown"
	MessageNodeStatusUnknown     = "Kubelet stopped posting node status."
	ReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
	MessageNodeStatusNeverUpd    = "Kubelet never posted node status."
)

// Probe is what the controller remembers of a node's heartbeats. Like
// upstream it measures staleness on its own clock, from the moment it saw a
// heartbeat change, so clock skew between kubelet and controller does not
// matter.
type Probe struct {
	Seen       bool        // the node was observed before
	Time       time.Time   // when the last heartbeat change was observed
	HadReady   bool        // the node had a Ready condition at the last observation
	Heartbeat  metav1.Time // Ready condition lastHeartbeatTime last observed
	LeaseRenew time.Time   // lease spec.renewTime last observed (zero: none)
}

// Observe folds the current node and lease (nil when absent) into prev at
// time now and returns the new Probe.
func Observe(prev Probe, node *corev1.Node, lease *coordv1.Lease, now time.Time) Probe {
	ready := condition(node.Status.Conditions, corev1.NodeReady)
	next := prev
	switch {
	case !prev.Seen && ready == nil:
		next.Time = node.CreationTimestamp.Time
	case !prev.Seen:
		next.Time = now
	case prev.HadReady != (ready != nil):
		next.Time = now
	case ready != nil && !ready.LastHeartbeatTime.Equal(&prev.Heartbeat):
		next.Time = now
	}
	next.Seen = true
	next.HadReady = ready != nil
	next.Heartbeat = metav1.Time{}
	if ready != nil {
		next.Heartbeat = ready.LastHeartbeatTime
	}
	if lease != nil && lease.Spec.RenewTime != nil {
		renew := lease.Spec.RenewTime.Time
		if prev.LeaseRenew.IsZero() || prev.LeaseRenew.Before(renew) {
			next.LeaseRenew = renew
			next.Time = now
		}
	}
	return next
}

// Stale reports whether no heartbeat was observed for longer than the grace
// period; a node that never posted a Ready condition gets startupGrace.
func Stale(p Probe, node *corev1.Node, now time.Time, grace, startupGrace time.Duration) bool {
	g := grace
	if condition(node.Status.Conditions, corev1.NodeReady) == nil {
		g = startupGrace
	}
	return now.After(p.Time.Add(g))
}

// watchedConditions are the conditions set to Unknown on a silent node.
func watchedConditions() []corev1.NodeConditionType {
	return []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure}
}

// UnknownConditions returns the conditions of a silent node: each watched
// condition becomes Unknown (NodeStatusUnknown), a missing one is added as
// Unknown (NodeStatusNeverUpdated). changed is false when nothing differs.
// The input is not modified.
func UnknownConditions(node *corev1.Node, now time.Time) ([]corev1.NodeCondition, bool) {
	out := make([]corev1.NodeCondition, len(node.Status.Conditions))
	copy(out, node.Status.Conditions)
	changed := false
	ts := metav1.NewTime(now)
	for _, t := range watchedConditions() {
		i := conditionIndex(out, t)
		if i < 0 {
			out = append(out, corev1.NodeCondition{
				Type: t, Status: corev1.ConditionUnknown,
				Reason: ReasonNodeStatusNeverUpdated, Message: MessageNodeStatusNeverUpd,
				LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: ts,
			})
			changed = true
			continue
		}
		if out[i].Status == corev1.ConditionUnknown {
			continue
		}
		out[i].Status = corev1.ConditionUnknown
		out[i].Reason = ReasonNodeStatusUnknown
		out[i].Message = MessageNodeStatusUnknown
		out[i].LastTransitionTime = ts
		changed = true
	}
	return out, changed
}

// ReadyStatus is the node's Ready status; Unknown when it has none.
func ReadyStatus(node *corev1.Node) corev1.ConditionStatus {
	if c := condition(node.Status.Conditions, corev1.NodeReady); c != nil {
		return c.Status
	}
	return corev1.ConditionUnknown
}

func conditionIndex(conds []corev1.NodeCondition, t corev1.NodeConditionType) int {
	for i := range conds {
		if conds[i].Type == t {
			return i
		}
	}
	return -1
}

func condition(conds []corev1.NodeCondition, t corev1.NodeConditionType) *corev1.NodeCondition {
	if i := conditionIndex(conds, t); i >= 0 {
		return &conds[i]
	}
	return nil
}
