package kubelet

import (
	"context"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// admission is the kubelet's one decision on whether it takes a pod.
type admission struct {
	ok              bool
	reason, message string
}

// admit returns the pod's admission, deciding it on the first sync: a pod
// the kubelet already started (it has a start time, e.g. after a kubelet
// restart) is admitted; otherwise the first admitter that says no rejects
// it. The decision is never revisited, so a stale cached pod cannot be
// admitted later.
func (k *Kubelet) admit(ctx context.Context, pod *v1.Pod) *admission {
	k.mu.Lock()
	a, decided := k.admitted[pod.UID]
	k.mu.Unlock()
	if decided {
		return a
	}
	a = &admission{ok: true}
	if pod.Status.StartTime == nil {
		for _, h := range k.cfg.Admitters {
			if ok, reason, msg := h.Admit(pod); !ok {
				a = &admission{reason: reason, message: msg}
				break
			}
		}
	}
	k.mu.Lock()
	prev, raced := k.admitted[pod.UID]
	if raced {
		a = prev
	} else {
		k.admitted[pod.UID] = a
	}
	k.mu.Unlock()
	if !a.ok && !raced {
		k.log.Info("pod rejected at admission", "pod", pod.Namespace+"/"+pod.Name, "reason", a.reason, "message", a.message)
		k.event(pod, nil, v1.EventTypeWarning, a.reason, a.message)
	}
	return a
}

// rejectedStatus is the status of a pod rejected at admission, as
// upstream's kubelet writes it: phase Failed, the reason, and the message
// prefixed with "Pod was rejected: ".
func rejectedStatus(pod *v1.Pod, a *admission) v1.PodStatus {
	s := *pod.Status.DeepCopy()
	s.Phase, s.Reason, s.Message = v1.PodFailed, a.reason, "Pod was rejected: "+a.message
	s.QOSClass = qosClass(pod)
	return s
}

// syncRejected writes the status of a rejected pod; nothing of it was
// started, so nothing needs stopping.
func (k *Kubelet) syncRejected(ctx context.Context, pod *v1.Pod, a *admission) error {
	err := k.patchStatus(ctx, pod, pod.Status, rejectedStatus(pod, a))
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
