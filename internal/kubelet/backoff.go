package kubelet

import (
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/utils/clock"
)

// Upstream crash-loop back-off: 10 s doubling to 5 min; an entry idle for
// twice the maximum (10 min) starts again at 10 s.
const (
	backOffInitial = 10 * time.Second
	backOffMax     = 300 * time.Second
)

// restartBackOff tracks the crash-loop back-off of each container.
type restartBackOff struct {
	b *flowcontrol.Backoff
}

func newRestartBackOff(c clock.Clock) *restartBackOff {
	return &restartBackOff{b: flowcontrol.NewFakeBackOff(backOffInitial, backOffMax, c)}
}

// backOffKey identifies a container of a pod, as upstream (name, namespace,
// uid, container name, spec hash).
func backOffKey(pod *v1.Pod, container, hash string) string {
	return fmt.Sprintf("%s_%s_%s_%s_%s", pod.Name, pod.Namespace, pod.UID, container, hash)
}

// check decides whether a container that finished at finishedAt may be
// started now. When it may, the back-off is advanced (the next failure waits
// twice as long) and ok is true; otherwise wait is the current back-off.
func (r *restartBackOff) check(key string, finishedAt time.Time) (wait time.Duration, ok bool) {
	if r.b.IsInBackOffSince(key, finishedAt) {
		return r.b.Get(key), false
	}
	r.b.Next(key, finishedAt)
	return 0, true
}

// remaining is how long until a container in back-off may start again.
func (r *restartBackOff) remaining(key string, finishedAt time.Time, now time.Time) time.Duration {
	d := r.b.Get(key) - now.Sub(finishedAt)
	if d < 0 {
		return 0
	}
	return d
}

// gc drops entries idle past the reset window.
func (r *restartBackOff) gc() { r.b.GC() }

// crashLoopMessage is the upstream waiting message of CrashLoopBackOff.
func crashLoopMessage(wait time.Duration, container string, pod *v1.Pod) string {
	return fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", wait, container, formatPod(pod))
}

// formatPod renders a pod as upstream logs and events do: name_namespace(uid).
func formatPod(pod *v1.Pod) string {
	return fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
}
