package prober

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
)

// worker probes one kind of probe of one container, period after period,
// for the life of the pod. Only its goroutine touches its fields.
type worker struct {
	m         *Manager
	pod       *v1.Pod // as of the worker's creation; probe specs are immutable
	container string
	kind      Kind
	spec      *v1.Probe

	containerID string
	lastOutcome Result
	resultRun   int
	onHold      bool
}

func newWorker(m *Manager, pod *v1.Pod, container string, kind Kind, spec *v1.Probe) *worker {
	return &worker{m: m, pod: pod, container: container, kind: kind, spec: spec}
}

// initialResult is what a new container starts with, as upstream: not
// ready, alive, not started.
func (k Kind) initialResult() Result {
	switch k {
	case Readiness:
		return Failure
	case Liveness:
		return Success
	}
	return Unknown
}

func orDefault(v, def int32) int32 {
	if v <= 0 {
		return def
	}
	return v
}

// run probes once right away, then every periodSeconds until ctx ends or
// the pod is gone.
func (w *worker) run(ctx context.Context) {
	period := time.Duration(orDefault(w.spec.PeriodSeconds, 10)) * time.Second
	ticker := w.m.clock.NewTicker(period)
	defer ticker.Stop()
	defer func() {
		if w.containerID != "" {
			w.m.forget(w.containerID, w.kind)
		}
	}()
	for w.doProbe(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
	}
}

// doProbe runs one probe cycle and reports whether the worker should keep
// going.
func (w *worker) doProbe(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	pod, cs, known := w.m.snapshot(w.pod.UID, w.container)
	if !known {
		return false
	}
	if cs == nil || cs.ContainerID == "" {
		return true // not created yet
	}
	id := trimID(cs.ContainerID)
	update := Update{PodUID: pod.UID, Container: w.container, Kind: w.kind}
	if id != w.containerID {
		if w.containerID != "" {
			w.m.forget(w.containerID, w.kind)
		}
		w.containerID, w.onHold, w.lastOutcome, w.resultRun = id, false, Unknown, 0
		update.Result = w.kind.initialResult()
		w.m.setResult(ctx, update, id, false)
	}
	if cs.State.Running == nil {
		if w.kind == Readiness {
			update.Result = Failure
			w.m.setResult(ctx, update, id, true)
		}
		return true
	}
	if w.onHold {
		return true
	}
	if w.m.clock.Since(cs.State.Running.StartedAt.Time) < time.Duration(w.spec.InitialDelaySeconds)*time.Second {
		return true
	}
	started := w.m.result(id, Startup) == Success
	if w.kind == Startup && started {
		return true // startup probes stop once they pass
	}
	if w.kind != Startup && hasStartupProbe(pod, w.container) && !started {
		return true // gated by the startup probe
	}
	res, ok := w.probe(ctx, pod, cs, id)
	if !ok {
		return true // prober fault: the result is thrown away, as upstream
	}
	if res == w.lastOutcome {
		w.resultRun++
	} else {
		w.lastOutcome, w.resultRun = res, 1
	}
	if (res == Failure && w.resultRun < int(orDefault(w.spec.FailureThreshold, 3))) ||
		(res == Success && w.resultRun < int(orDefault(w.spec.SuccessThreshold, 1))) {
		return true
	}
	update.Result = res
	w.m.setResult(ctx, update, id, true)
	if res == Failure && w.kind != Readiness {
		// The container will be restarted: stop until a new container ID.
		w.onHold, w.resultRun = true, 0
	}
	return true
}

func hasStartupProbe(pod *v1.Pod, container string) bool {
	for _, c := range probedContainers(pod) {
		if c.Name == container {
			return c.StartupProbe != nil
		}
	}
	return false
}

// probe runs the probe once and records events; ok is false on a prober
// fault.
func (w *worker) probe(ctx context.Context, pod *v1.Pod, cs *v1.ContainerStatus, id string) (Result, bool) {
	var spec *v1.Container
	for _, c := range probedContainers(pod) {
		if c.Name == w.container {
			spec = c
		}
	}
	ref := containerRef(pod, w.container)
	out, msg, err := w.m.runner.run(ctx, w.spec, target{podIP: podIP(w.m, pod), container: spec, containerID: id})
	log := w.m.log.With("pod", pod.Namespace+"/"+pod.Name, "container", w.container, "probe", w.kind.String())
	switch {
	case err != nil:
		log.Warn("probe errored", "err", err)
		w.m.recorder.Eventf(ref, v1.EventTypeWarning, "Unhealthy", "%s probe errored and resulted in unknown state: %s", w.kind, err)
		return Unknown, false
	case out == outcomeFailure:
		log.Info("probe failed", "output", msg)
		w.m.recorder.Eventf(ref, v1.EventTypeWarning, "Unhealthy", "%s probe failed: %s", w.kind, msg)
		return Failure, true
	case out == outcomeWarning:
		w.m.recorder.Eventf(ref, v1.EventTypeWarning, "ProbeWarning", "%s probe warning: %s", w.kind, msg)
	}
	return Success, true
}

// podIP is the pod IP from the status the kubelet last reported.
func podIP(m *Manager, pod *v1.Pod) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.pods[pod.UID]; ok && e.status != nil && e.status.PodIP != "" {
		return e.status.PodIP
	}
	return pod.Status.PodIP
}

// containerRef is the object events about a container are recorded on.
func containerRef(pod *v1.Pod, container string) *v1.ObjectReference {
	field := fmt.Sprintf("spec.containers{%s}", container)
	for _, c := range pod.Spec.InitContainers {
		if c.Name == container {
			field = fmt.Sprintf("spec.initContainers{%s}", container)
		}
	}
	return &v1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
		UID: pod.UID, ResourceVersion: pod.ResourceVersion, FieldPath: field,
	}
}
