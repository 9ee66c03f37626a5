package kubelet

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// VolumeManager makes a pod's volumes available on the host. The volume
// package's *Manager satisfies it.
type VolumeManager interface {
	// SetUp returns, per volume name, the host path to bind-mount. An error
	// names the volume and why; the kubelet reports it as FailedMount and
	// retries on the next sync.
	SetUp(ctx context.Context, pod *v1.Pod) (map[string]string, error)
	// TearDown removes whatever SetUp made for the pod. It is idempotent.
	TearDown(ctx context.Context, podUID types.UID) error
}

// ProbeManager runs readiness, startup and liveness probes. The prober
// package's *Manager satisfies it. Its Updates channel carries a type of the
// prober package; the wiring converts it into ProbeUpdate values on
// Config.ProbeUpdates (see ProbeUpdate).
type ProbeManager interface {
	// UpdatePod is called on every sync with the status just computed; it is
	// idempotent.
	UpdatePod(pod *v1.Pod, status *v1.PodStatus)
	// RemovePod stops the pod's probe workers.
	RemovePod(podUID types.UID)
	// Ready reports the readiness result (true without a readiness probe once started).
	Ready(podUID types.UID, container string) bool
	// Started reports whether the startup probe passed (true without one).
	Started(podUID types.UID, container string) bool
}

// ProbeUpdate is a changed probe result. Every update re-syncs the pod; an
// update with LivenessFailed set makes the kubelet kill the container (event
// Killing) and restart it per the pod's restartPolicy.
type ProbeUpdate struct {
	PodUID         types.UID
	Container      string
	LivenessFailed bool
}

// HookRunner runs a lifecycle handler (postStart, preStop) against a
// running container; a failure is an error whose text is the event message.
// It must honour ctx, whose deadline is the grace period left.
type HookRunner interface {
	Run(ctx context.Context, pod *v1.Pod, container *v1.Container, containerID string, handler *v1.LifecycleHandler) error
}

// PodAdmitter decides whether the node takes a pod it has not started yet
// (upstream's pod admit handlers; the eviction package's *Manager is one).
// A rejection carries the reason and message of the Warning event; the pod
// then ends Failed with that reason and "Pod was rejected: <message>". It
// must not block and must not mutate pod.
type PodAdmitter interface {
	Admit(pod *v1.Pod) (admit bool, reason, message string)
}

// AdmitFunc adapts a function to a PodAdmitter.
type AdmitFunc func(pod *v1.Pod) (admit bool, reason, message string)

// Admit calls f.
func (f AdmitFunc) Admit(pod *v1.Pod) (bool, string, string) { return f(pod) }

var _ PodAdmitter = AdmitFunc(nil)
