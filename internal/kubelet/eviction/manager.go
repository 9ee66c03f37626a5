package eviction

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Options configure a Manager. Observe, Pods, Stats and Evict are required.
type Options struct {
	Thresholds []Threshold
	// Observe reads the node's signals.
	Observe func(ctx context.Context) (Observations, error)
	// Pods are the node's active pods (not terminal, not being deleted or
	// evicted); the manager does not mutate them.
	Pods func() []*v1.Pod
	// Stats reads per-container usage and per-pod process counts (see
	// RuntimeStats); it is called only when a threshold is met.
	Stats func(ctx context.Context) (map[types.UID][]ContainerUsage, map[types.UID]int64, error)
	// Evict fails and kills the pod with reason Evicted, the message and the
	// grace period; it reports whether the pod was evicted.
	Evict func(ctx context.Context, pod *v1.Pod, message string, grace int64) bool
	// OnChange is called (from the loop) when the pressure conditions
	// change; nil for none.
	OnChange func()
	// NodeEvent records an event on the Node (upstream's Warning
	// EvictionThresholdMet "Attempting to reclaim memory"); nil for none.
	NodeEvent func(eventType, reason, message string)
	// DeleteUnusedContainers removes dead containers and DeleteUnusedImages
	// images no container uses; before evicting a pod for a disk signal the
	// manager runs them (as upstream's node-level reclaim) and evicts only
	// if a threshold is still met, minimum reclaim included. nil for none.
	DeleteUnusedContainers func(ctx context.Context) error
	DeleteUnusedImages     func(ctx context.Context) error
	// DedicatedImageFs is true when imagefs is another file system than
	// nodefs: nodefs pressure then reclaims nothing at node level.
	DedicatedImageFs bool
	// MonitorInterval defaults to 10 s, TransitionPeriod to 5 min.
	MonitorInterval   time.Duration
	TransitionPeriod  time.Duration
	MaxPodGracePeriod int64
	Clock             clock.WithTicker
	Log               *slog.Logger
}

// Manager runs Decide every monitoring interval.
type Manager struct {
	opts Options

	mu       sync.Mutex
	state    State
	pressure []v1.NodeConditionType
}

// NewManager checks opts and builds a Manager.
func NewManager(opts Options) (*Manager, error) {
	if opts.Observe == nil || opts.Pods == nil || opts.Stats == nil || opts.Evict == nil {
		return nil, errors.New("eviction: Observe, Pods, Stats and Evict are required")
	}
	if opts.MonitorInterval == 0 {
		opts.MonitorInterval = 10 * time.Second
	}
	if opts.TransitionPeriod == 0 {
		opts.TransitionPeriod = 5 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{opts: opts}, nil
}

// Pressure are the node conditions currently True (MemoryPressure,
// DiskPressure, PIDPressure); the caller owns the slice.
func (m *Manager) Pressure() []v1.NodeConditionType {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.pressure)
}

// Run synchronizes at once and then every interval until ctx ends; it
// returns nil then.
func (m *Manager) Run(ctx context.Context) error {
	if len(m.opts.Thresholds) == 0 {
		m.opts.Log.Info("no eviction thresholds: eviction disabled")
		return nil
	}
	t := m.opts.Clock.NewTicker(m.opts.MonitorInterval)
	defer t.Stop()
	for {
		m.Synchronize(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// Synchronize runs one pass: observe, decide, report changed conditions and
// evict at most one pod. Errors are logged; the next pass retries.
func (m *Manager) Synchronize(ctx context.Context) {
	log := m.opts.Log
	obs, err := m.opts.Observe(ctx)
	if err != nil {
		log.Error("observe eviction signals failed", "err", err)
		return
	}
	m.mu.Lock()
	prev := m.state
	m.mu.Unlock()
	in := Input{Now: m.opts.Clock.Now(), Thresholds: m.opts.Thresholds, Observations: obs,
		TransitionPeriod: m.opts.TransitionPeriod, MaxPodGracePeriod: m.opts.MaxPodGracePeriod}
	if len(thresholdsMet(in.Thresholds, obs, false)) > 0 || len(prev.Met) > 0 {
		containers, procs, err := m.opts.Stats(ctx)
		if err != nil {
			log.Warn("read pod usage failed; ranking without it", "err", err)
		}
		in.Pods = joinUsage(m.opts.Pods(), containers, procs)
	}
	d := Decide(in, prev)
	m.mu.Lock()
	m.state = d.State
	changed := !slices.Equal(m.pressure, d.Pressure)
	m.pressure = d.Pressure
	m.mu.Unlock()
	if changed {
		log.Info("node pressure changed", "pressure", d.Pressure)
		if m.opts.OnChange != nil {
			m.opts.OnChange()
		}
	}
	if len(d.Met) == 0 {
		return
	}
	if m.opts.NodeEvent != nil {
		res, _, _ := signalInfo(d.Met[0].Signal)
		m.opts.NodeEvent(v1.EventTypeWarning, "EvictionThresholdMet", fmt.Sprintf("Attempting to reclaim %s", res))
	}
	if m.reclaimNodeLevel(ctx, d.Met[0].Signal) {
		log.Info("node-level reclaim relieved the pressure; no pod evicted", "threshold", d.Met[0].String())
		return
	}
	if d.Victim == nil {
		log.Warn("eviction threshold met but no pod can be evicted", "threshold", d.Met[0].String())
		return
	}
	log.Info("evicting pod", "pod", d.Victim.Namespace+"/"+d.Victim.Name, "threshold", d.Met[0].String(), "message", d.Message)
	if !m.opts.Evict(ctx, d.Victim, d.Message, d.GracePeriod) {
		log.Warn("pod not evicted", "pod", d.Victim.Namespace+"/"+d.Victim.Name)
	}
}

// reclaimNodeLevel runs the node-level reclaim steps for the signal, then
// observes again and reports whether no threshold is met any more, minimum
// reclaim included. It reports false when there is nothing to run.
func (m *Manager) reclaimNodeLevel(ctx context.Context, s Signal) bool {
	steps := reclaimSteps(s, m.opts.DedicatedImageFs)
	ran := false
	for _, step := range steps {
		f := m.opts.DeleteUnusedContainers
		if step == reclaimImages {
			f = m.opts.DeleteUnusedImages
		}
		if f == nil {
			continue
		}
		ran = true
		if err := f(ctx); err != nil {
			m.opts.Log.Warn("node-level reclaim failed", "step", string(step), "err", err)
		}
	}
	if !ran {
		return false
	}
	obs, err := m.opts.Observe(ctx)
	if err != nil {
		m.opts.Log.Error("observe eviction signals after reclaim failed", "err", err)
		return false
	}
	return len(thresholdsMet(m.opts.Thresholds, obs, true)) == 0
}

// reclaimStep is one node-level reclaim action.
type reclaimStep string

const (
	reclaimContainers reclaimStep = "containers"
	reclaimImages     reclaimStep = "images"
)

// reclaimSteps are what upstream's kubelet reclaims at node level for a
// signal: dead containers then unused images for disk signals of the file
// system holding images; nothing for memory and pids, nor for nodefs when
// images live on a dedicated imagefs.
func reclaimSteps(s Signal, dedicatedImageFs bool) []reclaimStep {
	both := []reclaimStep{reclaimContainers, reclaimImages}
	switch s {
	case SignalImageFsAvailable, SignalImageFsInodesFree:
		return both
	case SignalNodeFsAvailable, SignalNodeFsInodesFree:
		if dedicatedImageFs {
			return nil
		}
		return both
	}
	return nil
}

// Admit decides whether the node takes a new pod under its current
// pressure conditions (the kubelet's eviction admit handler); see
// AdmitPod. It satisfies the kubelet's PodAdmitter.
func (m *Manager) Admit(pod *v1.Pod) (admit bool, reason, message string) {
	return AdmitPod(m.Pressure(), pod)
}
