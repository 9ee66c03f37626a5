package kubelet

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Eviction is why and how the kubelet fails a pod on its own (node-pressure
// eviction): the pod ends with phase Failed, Reason and Message, a
// DisruptionTarget condition with reason TerminationByKubelet, and its
// containers are stopped with GracePeriod seconds (at least 2, as upstream).
type Eviction struct {
	Reason      string // "Evicted"
	Message     string
	GracePeriod int64
}

// EvictPod fails and kills the pod with uid. It records a Warning event with
// the reason and message and hands the work to the pod's worker, so it
// never blocks on the runtime. It reports false when the pod is unknown or
// already terminal or being evicted.
func (k *Kubelet) EvictPod(ctx context.Context, uid types.UID, ev Eviction) bool {
	k.mu.Lock()
	pod := k.pods[uid]
	_, already := k.evictions[uid]
	if pod == nil || already || isTerminal(pod) {
		k.mu.Unlock()
		return false
	}
	k.evictions[uid] = ev
	k.mu.Unlock()
	k.event(pod, nil, v1.EventTypeWarning, ev.Reason, ev.Message)
	k.dispatch(ctx, uid)
	return true
}

// ActivePods are the pods bound to the node that are neither terminal nor
// being deleted, evicted or rejected at admission. The pods are the informer's: do not mutate them.
func (k *Kubelet) ActivePods() []*v1.Pod {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]*v1.Pod, 0, len(k.pods))
	for uid, p := range k.pods {
		if a := k.admitted[uid]; a != nil && !a.ok {
			continue
		}
		if _, ev := k.evictions[uid]; ev || isTerminal(p) || p.DeletionTimestamp != nil {
			continue
		}
		out = append(out, p)
	}
	return out
}

func isTerminal(pod *v1.Pod) bool {
	return pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed
}

func (k *Kubelet) eviction(uid types.UID) (Eviction, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ev, ok := k.evictions[uid]
	return ev, ok
}

// syncEvicted kills an evicted pod's containers, writes its Failed status
// and releases its sandbox and volumes.
func (k *Kubelet) syncEvicted(ctx context.Context, pod *v1.Pod, ev Eviction) error {
	st, err := k.observe(ctx, pod)
	if err != nil {
		return err
	}
	grace := max(ev.GracePeriod, 2)
	if err := k.killPod(ctx, pod, st, grace); err != nil {
		return fmt.Errorf("kill evicted pod: %w", err)
	}
	if _, err := k.updateStatus(ctx, pod); err != nil {
		return err
	}
	return k.syncTerminal(ctx, pod)
}

// applyEviction makes status the one of an evicted pod.
func applyEviction(status *v1.PodStatus, ev Eviction, now metav1.Time) {
	status.Phase, status.Reason, status.Message = v1.PodFailed, ev.Reason, ev.Message
	cond := v1.PodCondition{Type: v1.DisruptionTarget, Status: v1.ConditionTrue, Reason: "TerminationByKubelet",
		Message: ev.Message, LastTransitionTime: now}
	for i := range status.Conditions {
		if status.Conditions[i].Type == v1.DisruptionTarget {
			if status.Conditions[i].Status == v1.ConditionTrue {
				cond.LastTransitionTime = status.Conditions[i].LastTransitionTime
			}
			status.Conditions[i] = cond
			return
		}
	}
	status.Conditions = append(status.Conditions, cond)
}
