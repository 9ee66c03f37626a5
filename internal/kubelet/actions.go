package kubelet

import (
	"fmt"
	"sort"

	v1 "k8s.io/api/core/v1"
)

// startAction asks for one container to be created and started.
type startAction struct {
	Name         string
	Init         bool  // an init container (sidecar or not)
	RestartCount int32 // attempt number of the new instance
}

// killAction asks for one running container to be stopped.
type killAction struct {
	ID      string
	Name    string
	Reason  string // event reason to record with the Killing event, "" for none
	Message string // event message
}

// podActions is what one sync must do, in order: kill the pod (all
// containers, then sandboxes) if KillPod, create a sandbox if CreateSandbox,
// kill KillContainers, then start Start in order (init containers stop at the
// first one started: the next sync starts the next once it is done).
type podActions struct {
	KillPod        bool
	CreateSandbox  bool
	SandboxID      string // ready sandbox to use when !CreateSandbox
	SandboxAttempt uint32
	Kill           []killAction
	Start          []startAction
}

// syncInput is the snapshot computeActions decides on.
type syncInput struct {
	Pod   *v1.Pod
	State *podState
	// Started reports the startup-probe result of a running container.
	Started func(name string) bool
	// LivenessFailed names containers whose liveness probe failed since their
	// current instance started.
	LivenessFailed map[string]bool
}

// isSidecar reports an init container with restartPolicy Always.
func isSidecar(c *v1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways
}

// shouldRestart decides whether an exited instance of a regular container
// is started again under the pod's restart policy.
func shouldRestart(policy v1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case v1.RestartPolicyNever:
		return false
	case v1.RestartPolicyOnFailure:
		return exitCode != 0
	default:
		return true
	}
}

// nextRestartCount is the attempt number a new instance of name gets.
func nextRestartCount(st *podState, name string) int32 {
	if c := st.latest(name); c != nil {
		return c.RestartCount + 1
	}
	return 0
}

// computeActions is the core of a sync: from the desired pod and the
// observed runtime state it decides what to kill, create and start. It does
// no I/O.
func computeActions(in syncInput) podActions {
	pod, st := in.Pod, in.State
	var acts podActions
	sb := st.readySandbox()
	if sb == nil {
		acts.KillPod = len(st.Sandboxes) > 0 || len(st.Containers) > 0
		if pod.Spec.RestartPolicy == v1.RestartPolicyNever && len(st.Containers) > 0 {
			// The sandbox died after containers ran: a Never pod is not revived.
			return acts
		}
		if completed(pod, st) {
			return acts
		}
		acts.CreateSandbox = true
		if len(st.Sandboxes) > 0 {
			acts.SandboxAttempt = st.Sandboxes[0].Attempt + 1
		}
		fresh := &podState{UID: st.UID}
		if len(pod.Spec.InitContainers) > 0 {
			acts.Start = initActions(pod, fresh, in.Started)
			acts.Start = renumber(acts.Start, st)
			return acts
		}
		for _, c := range pod.Spec.Containers {
			if l := st.latest(c.Name); l != nil && l.exited() && !shouldRestart(pod.Spec.RestartPolicy, l.ExitCode) {
				continue
			}
			acts.Start = append(acts.Start, startAction{Name: c.Name, RestartCount: nextRestartCount(st, c.Name)})
		}
		return acts
	}
	acts.SandboxID = sb.ID
	acts.SandboxAttempt = sb.Attempt
	acts.Kill = append(livenessKills(pod, st, in.LivenessFailed), changedKills(pod, st)...)
	killed := map[string]bool{}
	for _, k := range acts.Kill {
		killed[k.Name] = true
	}
	if !initDone(pod, st) {
		if failedInit(pod, st) {
			acts.KillPod = true
			return acts
		}
		acts.Start = initActions(pod, st, in.Started)
		return acts
	}
	// Sidecars keep running alongside the regular containers.
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if !isSidecar(c) {
			continue
		}
		if l := st.latest(c.Name); l == nil || !l.running() || killed[c.Name] {
			acts.Start = append(acts.Start, startAction{Name: c.Name, Init: true, RestartCount: nextRestartCount(st, c.Name)})
		}
	}
	for _, c := range pod.Spec.Containers {
		l := st.latest(c.Name)
		switch {
		case l == nil:
			acts.Start = append(acts.Start, startAction{Name: c.Name, RestartCount: 0})
		case l.running() && !killed[c.Name]:
		case killed[c.Name] && pod.Spec.RestartPolicy != v1.RestartPolicyNever:
			acts.Start = append(acts.Start, startAction{Name: c.Name, RestartCount: l.RestartCount + 1})
		case l.State == 0: // created, never started: start it anew
			acts.Start = append(acts.Start, startAction{Name: c.Name, RestartCount: l.RestartCount + 1})
		case l.exited() && shouldRestart(pod.Spec.RestartPolicy, l.ExitCode):
			acts.Start = append(acts.Start, startAction{Name: c.Name, RestartCount: l.RestartCount + 1})
		}
	}
	if len(acts.Start) == 0 && regularDone(pod, st, killed) {
		acts.Kill = append(acts.Kill, sidecarKills(pod, st)...)
	}
	return acts
}

// renumber keeps restart counts growing across sandbox re-creation.
func renumber(starts []startAction, st *podState) []startAction {
	for i := range starts {
		starts[i].RestartCount = nextRestartCount(st, starts[i].Name)
	}
	return starts
}

// initActions walks the init containers in order and returns the one to
// start next (regular init) or the sidecars to (re)start up to the first
// one not yet started.
func initActions(pod *v1.Pod, st *podState, started func(string) bool) []startAction {
	var out []startAction
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		l := st.latest(c.Name)
		if isSidecar(c) {
			if l == nil || !l.running() {
				return append(out, startAction{Name: c.Name, Init: true, RestartCount: nextRestartCount(st, c.Name)})
			}
			if started != nil && !started(c.Name) {
				return out // wait for the sidecar's startup probe
			}
			continue
		}
		switch {
		case l == nil:
			return append(out, startAction{Name: c.Name, Init: true})
		case l.running():
			return out
		case l.exited() && l.ExitCode == 0:
			continue
		default:
			return append(out, startAction{Name: c.Name, Init: true, RestartCount: l.RestartCount + 1})
		}
	}
	return out
}

// initDone reports whether initialization is over: every regular init
// container exited 0 and every sidecar runs, or a regular container was
// already created (init containers never run again in the same sandbox).
func initDone(pod *v1.Pod, st *podState) bool {
	for _, c := range pod.Spec.Containers {
		if st.latest(c.Name) != nil {
			return true
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		l := st.latest(c.Name)
		if isSidecar(c) {
			if l == nil || !l.running() {
				return false
			}
			continue
		}
		if l == nil || !l.exited() || l.ExitCode != 0 {
			return false
		}
	}
	return true
}

// failedInit reports a regular init container that failed in a pod whose
// restartPolicy is Never: the pod fails.
func failedInit(pod *v1.Pod, st *podState) bool {
	if pod.Spec.RestartPolicy != v1.RestartPolicyNever {
		return false
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if l := st.latest(c.Name); !isSidecar(c) && l != nil && l.exited() && l.ExitCode != 0 {
			return true
		}
	}
	return false
}

// regularDone reports that every regular container has run and none runs.
func regularDone(pod *v1.Pod, st *podState, killed map[string]bool) bool {
	for _, c := range pod.Spec.Containers {
		l := st.latest(c.Name)
		if l == nil || (l.running() && !killed[c.Name]) {
			return false
		}
	}
	return true
}

func sidecarKills(pod *v1.Pod, st *podState) []killAction {
	var out []killAction
	for i := len(pod.Spec.InitContainers) - 1; i >= 0; i-- {
		c := &pod.Spec.InitContainers[i]
		if l := st.latest(c.Name); isSidecar(c) && l != nil && l.running() {
			out = append(out, killAction{ID: l.ID, Name: c.Name, Reason: "Killing", Message: fmt.Sprintf("Stopping container %s", c.Name)})
		}
	}
	return out
}

func livenessKills(pod *v1.Pod, st *podState, failed map[string]bool) []killAction {
	var out []killAction
	names := make([]string, 0, len(failed))
	for name, f := range failed {
		if f {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if l := st.latest(name); l != nil && l.running() && hasContainer(pod, name) {
			out = append(out, killAction{ID: l.ID, Name: name, Reason: "Killing",
				Message: fmt.Sprintf("Container %s failed liveness probe, will be restarted", name)})
		}
	}
	return out
}

// changedKills restarts running containers whose spec (e.g. image) changed
// since they were created.
func changedKills(pod *v1.Pod, st *podState) []killAction {
	var out []killAction
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if l := st.latest(c.Name); l != nil && l.running() && l.Hash != "" && l.Hash != containerHash(c) {
			out = append(out, killAction{ID: l.ID, Name: c.Name, Reason: "Killing",
				Message: fmt.Sprintf("Container %s definition changed, will be restarted", c.Name)})
		}
	}
	return out
}

// completed reports a pod whose regular containers all exited and none
// restarts under its policy: there is nothing left to run.
func completed(pod *v1.Pod, st *podState) bool {
	if pod.Spec.RestartPolicy == v1.RestartPolicyAlways || pod.Spec.RestartPolicy == "" {
		return false
	}
	for _, c := range pod.Spec.Containers {
		l := st.latest(c.Name)
		if l == nil || !l.exited() || shouldRestart(pod.Spec.RestartPolicy, l.ExitCode) {
			return false
		}
	}
	return true
}

func hasContainer(pod *v1.Pod, name string) bool {
	return findContainer(pod, name) != nil
}

// findContainer returns the spec of a regular or init container by name.
func findContainer(pod *v1.Pod, name string) *v1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	return nil
}
