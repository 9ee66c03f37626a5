package eviction

import (
	"fmt"
	"slices"
	"sort"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Observation is one signal's current value.
type Observation struct {
	Available resource.Quantity
	Capacity  resource.Quantity
}

// Observations are the signals observed in one pass; a signal missing here
// is unknown and never met.
type Observations map[Signal]Observation

// ContainerUsage is one container's resource use.
type ContainerUsage struct {
	Name          string
	WorkingSet    *resource.Quantity // memory; nil when unknown
	WritableLayer *resource.Quantity // bytes of its writable layer (and logs); nil when unknown
	Inodes        *resource.Quantity // inodes of its writable layer; nil when unknown
}

// PodUsage is a pod with what its containers use.
type PodUsage struct {
	Pod        *v1.Pod
	Containers []ContainerUsage
	// Processes is the pod's process count; nil when unknown.
	Processes *int64
	// HasStats is false when the runtime reported nothing for the pod.
	HasStats bool
}

// State is what Decide remembers between passes. The zero value is the
// state before the first pass.
type State struct {
	// FirstMet is when each currently met threshold was first met, keyed by
	// Threshold.String() and hardness.
	FirstMet map[string]time.Time
	// LastPressure is when each pressure condition was last observed.
	LastPressure map[v1.NodeConditionType]time.Time
	// Met are the thresholds met in the last pass (grace periods aside): each
	// stays met until its signal is back above it plus its minimum reclaim.
	Met []Threshold
}

// Input is the snapshot of one pass.
type Input struct {
	Now          time.Time
	Thresholds   []Threshold
	Observations Observations
	// Pods are the active pods (not terminal, not being deleted).
	Pods []PodUsage
	// TransitionPeriod is how long a pressure condition stays after its
	// threshold stops being met.
	TransitionPeriod time.Duration
	// MaxPodGracePeriod is the grace of soft evictions (upstream's
	// evictionMaxPodGracePeriod), capped by the pod's own.
	MaxPodGracePeriod int64
}

// Decision is the outcome of one pass.
type Decision struct {
	// Pressure are the node conditions that are True, in the order
	// MemoryPressure, DiskPressure, PIDPressure.
	Pressure []v1.NodeConditionType
	// Met are the thresholds met past their grace period.
	Met []Threshold
	// Victim is the pod to evict, nil for none; Message and GracePeriod go
	// with it.
	Victim      *v1.Pod
	Message     string
	GracePeriod int64
	State       State
}

// Decide computes the node's pressure conditions and the one pod to evict,
// as upstream's eviction manager does in one synchronize pass.
func Decide(in Input, prev State) Decision {
	met := mergeThresholds(thresholdsMet(in.Thresholds, in.Observations, false),
		thresholdsMet(prev.Met, in.Observations, true))
	d := Decision{State: State{FirstMet: map[string]time.Time{}, LastPressure: map[v1.NodeConditionType]time.Time{},
		Met: met}}
	for _, t := range met {
		key := stateKey(t)
		first, ok := prev.FirstMet[key]
		if !ok {
			first = in.Now
		}
		d.State.FirstMet[key] = first
		if in.Now.Sub(first) >= t.GracePeriod {
			d.Met = append(d.Met, t)
		}
		_, cond, _ := signalInfo(t.Signal)
		d.State.LastPressure[cond] = in.Now
	}
	for cond, at := range prev.LastPressure {
		if _, now := d.State.LastPressure[cond]; !now && in.Now.Sub(at) < in.TransitionPeriod {
			d.State.LastPressure[cond] = at
		}
	}
	for _, cond := range []v1.NodeConditionType{v1.NodeMemoryPressure, v1.NodeDiskPressure, v1.NodePIDPressure} {
		if _, ok := d.State.LastPressure[cond]; ok {
			d.Pressure = append(d.Pressure, cond)
		}
	}
	if len(d.Met) == 0 {
		return d
	}
	sort.SliceStable(d.Met, func(i, j int) bool { return signalOrder(d.Met[i].Signal) < signalOrder(d.Met[j].Signal) })
	t := d.Met[0]
	ranked := rank(t.Signal, in.Pods)
	for _, pu := range ranked {
		if isCritical(pu.Pod) {
			continue
		}
		d.Victim = pu.Pod
		d.Message = Message(t, in.Observations[t.Signal], pu)
		d.GracePeriod = graceFor(t, pu.Pod, in.MaxPodGracePeriod)
		break
	}
	return d
}

func stateKey(t Threshold) string {
	if t.Hard {
		return "hard:" + t.String()
	}
	return "soft:" + t.String()
}

// thresholdsMet are the thresholds whose signal is below them, or, with
// withMinReclaim, below them plus their minimum reclaim.
func thresholdsMet(ts []Threshold, obs Observations, withMinReclaim bool) []Threshold {
	var out []Threshold
	for _, t := range ts {
		o, ok := obs[t.Signal]
		if !ok {
			continue
		}
		v := t.target(o.Capacity, withMinReclaim)
		if o.Available.Cmp(v) < 0 {
			out = append(out, t)
		}
	}
	return out
}

// mergeThresholds is a followed by the thresholds of b not in a.
func mergeThresholds(a, b []Threshold) []Threshold {
	out := slices.Clone(a)
	for _, t := range b {
		if !slices.ContainsFunc(out, func(o Threshold) bool { return stateKey(o) == stateKey(t) }) {
			out = append(out, t)
		}
	}
	return out
}

// signalOrder is the order in which met thresholds are reclaimed: memory
// first, as upstream.
func signalOrder(s Signal) int {
	switch s {
	case SignalMemoryAvailable:
		return 0
	case SignalNodeFsAvailable, SignalNodeFsInodesFree:
		return 1
	case SignalImageFsAvailable, SignalImageFsInodesFree:
		return 2
	}
	return 3
}

// graceFor is 0 for a hard threshold; for a soft one the maximum pod grace
// period, lowered to the pod's own.
func graceFor(t Threshold, pod *v1.Pod, maxGrace int64) int64 {
	if t.Hard {
		return 0
	}
	g := maxGrace
	if tg := pod.Spec.TerminationGracePeriodSeconds; tg != nil && *tg < g {
		g = *tg
	}
	return g
}

// Message is upstream's eviction message: the resource the node was low
// on, the threshold and what was available, and each container using more
// of it than it requests. The trailing spaces are upstream's.
func Message(t Threshold, o Observation, pu PodUsage) string {
	res, _, _ := signalInfo(t.Signal)
	msg := fmt.Sprintf("The node was low on resource: %v. ", res)
	v := t.Value(o.Capacity)
	msg += fmt.Sprintf("Threshold quantity: %v, available: %v. ", v.String(), o.Available.String())
	for _, c := range pu.Containers {
		spec := specOf(pu.Pod, c.Name)
		if spec == nil {
			continue
		}
		usage := c.usageOf(res)
		req := spec.Resources.Requests[res]
		if usage != nil && usage.Cmp(req) > 0 {
			msg += fmt.Sprintf("Container %s was using %s, request is %s, has larger consumption of %v. ",
				c.Name, usage.String(), req.String(), res)
		}
	}
	return msg
}

func (c ContainerUsage) usageOf(res v1.ResourceName) *resource.Quantity {
	switch res {
	case v1.ResourceMemory:
		return c.WorkingSet
	case v1.ResourceEphemeralStorage:
		return c.WritableLayer
	}
	return nil
}

func specOf(pod *v1.Pod, name string) *v1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}
