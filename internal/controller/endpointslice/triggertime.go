package endpointslice

import (
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TriggerTimes computes the value of the
// endpoints.kubernetes.io/last-change-trigger-time annotation: the earliest
// time of a change (Service first seen or recreated, a pod's readiness
// transition or creation) that a sync of the Service now reflects. Its
// state is per Service key; Forget drops it when the Service goes away.
type TriggerTimes struct {
	mu sync.Mutex
	m  map[string]*triggerState
}

type triggerState struct {
	svc  time.Time
	pods map[string]podState
}

// podState is what a pod contributes: its trigger time and a fingerprint
// of what endpoints show of it, so changes within one second of the
// (second-precision) condition timestamps still count.
type podState struct {
	at    time.Time
	print string
}

func podStateOf(pod *corev1.Pod) podState {
	return podState{at: podTrigger(pod), print: fmt.Sprint(PodReady(pod), pod.Status.PodIPs, pod.Status.PodIP, pod.Spec.NodeName, pod.DeletionTimestamp != nil)}
}

// NewTriggerTimes returns an empty TriggerTimes.
func NewTriggerTimes() *TriggerTimes { return &TriggerTimes{m: map[string]*triggerState{}} }

// podTrigger is when pod last changed in a way endpoints reflect.
func podTrigger(pod *corev1.Pod) time.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	return pod.CreationTimestamp.Time
}

// Compute returns the earliest trigger time among the changes since the
// previous Compute for key (zero when nothing changed) and records the
// current state.
func (t *TriggerTimes) Compute(key string, svc *corev1.Service, pods []*corev1.Pod) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	prev := t.m[key]
	next := &triggerState{svc: svc.CreationTimestamp.Time, pods: make(map[string]podState, len(pods))}
	var min time.Time
	consider := func(at time.Time) {
		if !at.IsZero() && (min.IsZero() || at.Before(min)) {
			min = at
		}
	}
	if prev == nil || !prev.svc.Equal(next.svc) {
		consider(next.svc)
	}
	for _, p := range pods {
		st := podStateOf(p)
		next.pods[p.Name] = st
		if old, ok := prev.pod(p.Name); !ok || !old.at.Equal(st.at) || old.print != st.print {
			consider(st.at)
		}
	}
	t.m[key] = next
	return min
}

func (s *triggerState) pod(name string) (podState, bool) {
	if s == nil {
		return podState{}, false
	}
	p, ok := s.pods[name]
	return p, ok
}

// Forget drops the state of key.
func (t *TriggerTimes) Forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}
