package prober

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"
)

// Kind is the kind of a probe.
type Kind int

// Probe kinds.
const (
	Liveness Kind = iota + 1
	Readiness
	Startup
)

// String returns the capitalised name upstream uses in event messages.
func (k Kind) String() string {
	switch k {
	case Liveness:
		return "Liveness"
	case Readiness:
		return "Readiness"
	case Startup:
		return "Startup"
	}
	return "Unknown"
}

// Result is the thresholded outcome of a container's probe.
type Result int

// Probe results. Unknown is the zero value: nothing decided yet.
const (
	Unknown Result = iota
	Success
	Failure
)

// String returns the result's name.
func (r Result) String() string {
	switch r {
	case Success:
		return "Success"
	case Failure:
		return "Failure"
	}
	return "Unknown"
}

// Update tells the kubelet that a probe result of a container changed. A
// Liveness or Startup Failure means the container must be killed and
// restarted.
type Update struct {
	PodUID    types.UID
	Container string
	Kind      Kind
	Result    Result
}

// Options configures a Manager.
type Options struct {
	Runtime  internalapi.RuntimeService
	Recorder record.EventRecorder
	Clock    clock.WithTicker
	Log      *slog.Logger
}

// Manager runs probe workers and keeps their results. It is safe for
// concurrent use.
type Manager struct {
	runner   *runner
	recorder record.EventRecorder
	clock    clock.WithTicker
	log      *slog.Logger
	updates  chan Update
	workers  sync.WaitGroup

	mu      sync.Mutex
	pods    map[types.UID]*podEntry
	results map[resultKey]Result
}

type podEntry struct {
	pod     *v1.Pod
	status  *v1.PodStatus
	workers map[workerKey]context.CancelFunc
}

type workerKey struct {
	container string
	kind      Kind
}

type resultKey struct {
	containerID string
	kind        Kind
}

// NewManager returns a Manager with no pods.
func NewManager(opts Options) *Manager {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Recorder == nil {
		opts.Recorder = &record.FakeRecorder{}
	}
	return &Manager{
		runner:   newRunner(opts.Runtime),
		recorder: opts.Recorder,
		clock:    opts.Clock,
		log:      opts.Log,
		updates:  make(chan Update, 100),
		pods:     map[types.UID]*podEntry{},
		results:  map[resultKey]Result{},
	}
}

// Updates delivers a notice whenever a probe result changes. The kubelet
// must keep reading it; workers block while it is full.
func (m *Manager) Updates() <-chan Update { return m.updates }

// probesOf lists the probes of a container by kind.
func probesOf(c *v1.Container) map[Kind]*v1.Probe {
	out := map[Kind]*v1.Probe{}
	if c.LivenessProbe != nil {
		out[Liveness] = c.LivenessProbe
	}
	if c.ReadinessProbe != nil {
		out[Readiness] = c.ReadinessProbe
	}
	if c.StartupProbe != nil {
		out[Startup] = c.StartupProbe
	}
	return out
}

// probedContainers are the regular containers and the restartable init
// containers (sidecars), the ones upstream probes.
func probedContainers(pod *v1.Pod) []*v1.Container {
	var out []*v1.Container
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways {
			out = append(out, c)
		}
	}
	for i := range pod.Spec.Containers {
		out = append(out, &pod.Spec.Containers[i])
	}
	return out
}

// UpdatePod records the pod and its current status and starts a worker for
// every probe that has none. The kubelet calls it on every sync; workers
// pick up new container IDs from the recorded status.
func (m *Manager) UpdatePod(pod *v1.Pod, status *v1.PodStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.record(pod, status)
	for _, c := range probedContainers(e.pod) {
		for kind, p := range probesOf(c) {
			key := workerKey{container: c.Name, kind: kind}
			if _, running := e.workers[key]; running {
				continue
			}
			ctx, cancel := context.WithCancel(context.Background())
			e.workers[key] = cancel
			w := newWorker(m, e.pod, c.Name, kind, p)
			m.workers.Add(1)
			go func() {
				defer m.workers.Done()
				w.run(ctx)
			}()
		}
	}
}

// record stores copies of the pod and its status. Callers hold m.mu.
func (m *Manager) record(pod *v1.Pod, status *v1.PodStatus) *podEntry {
	e, ok := m.pods[pod.UID]
	if !ok {
		e = &podEntry{workers: map[workerKey]context.CancelFunc{}}
		m.pods[pod.UID] = e
	}
	e.pod = pod.DeepCopy()
	if status != nil {
		e.status = status.DeepCopy()
	} else {
		e.status = pod.Status.DeepCopy()
	}
	return e
}

// RemovePod stops the pod's workers and forgets its results.
func (m *Manager) RemovePod(podUID types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.pods[podUID]
	if !ok {
		return
	}
	for _, cancel := range e.workers {
		cancel()
	}
	for _, cs := range allStatuses(e.status) {
		for _, k := range []Kind{Liveness, Readiness, Startup} {
			delete(m.results, resultKey{containerID: trimID(cs.ContainerID), kind: k})
		}
	}
	delete(m.pods, podUID)
}

// Stop stops every worker of every pod, waits for them to exit and forgets
// all results; the Manager can be used again afterwards.
func (m *Manager) Stop() {
	m.mu.Lock()
	uids := make([]types.UID, 0, len(m.pods))
	for uid := range m.pods {
		uids = append(uids, uid)
	}
	m.mu.Unlock()
	for _, uid := range uids {
		m.RemovePod(uid)
	}
	m.workers.Wait()
}

// Ready reports the readiness of a running container: its readiness probe
// succeeded, or it has none and it has started.
func (m *Manager) Ready(podUID types.UID, container string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, id := m.lookup(podUID, container)
	if c == nil || id == "" {
		return false
	}
	if c.StartupProbe != nil && m.results[resultKey{id, Startup}] != Success {
		return false
	}
	if c.ReadinessProbe == nil {
		return true
	}
	return m.results[resultKey{id, Readiness}] == Success
}

// Started reports whether the container's startup probe passed; it is
// true for a container without one, and for a pod the manager was never
// told about (it knows of no startup probe).
func (m *Manager) Started(podUID types.UID, container string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, known := m.pods[podUID]; !known {
		return true
	}
	c, id := m.lookup(podUID, container)
	if c == nil || c.StartupProbe == nil {
		return true
	}
	return id != "" && m.results[resultKey{id, Startup}] == Success
}

// lookup finds a container's spec and its running container ID in the
// recorded status. Callers hold m.mu.
func (m *Manager) lookup(podUID types.UID, name string) (*v1.Container, string) {
	e, ok := m.pods[podUID]
	if !ok {
		return nil, ""
	}
	var spec *v1.Container
	for _, c := range probedContainers(e.pod) {
		if c.Name == name {
			spec = c
		}
	}
	for _, cs := range allStatuses(e.status) {
		if cs.Name == name && cs.State.Running != nil {
			return spec, trimID(cs.ContainerID)
		}
	}
	return spec, ""
}

func allStatuses(s *v1.PodStatus) []v1.ContainerStatus {
	if s == nil {
		return nil
	}
	out := append([]v1.ContainerStatus{}, s.InitContainerStatuses...)
	return append(out, s.ContainerStatuses...)
}

// trimID strips the "<runtime>://" prefix of a status container ID.
func trimID(id string) string {
	if _, rest, ok := strings.Cut(id, "://"); ok {
		return rest
	}
	return id
}

// snapshot returns copies of what a worker needs: the pod, the status of
// its container (nil if none yet) and whether the pod is still known.
func (m *Manager) snapshot(podUID types.UID, container string) (*v1.Pod, *v1.ContainerStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.pods[podUID]
	if !ok {
		return nil, nil, false
	}
	for _, cs := range allStatuses(e.status) {
		if cs.Name == container {
			cs := cs
			return e.pod, &cs, true
		}
	}
	return e.pod, nil, true
}

func (m *Manager) result(containerID string, kind Kind) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.results[resultKey{containerID, kind}]
}

// setResult stores a result and, when it changed and notify is set, sends
// an Update (giving up if ctx ends first).
func (m *Manager) setResult(ctx context.Context, u Update, containerID string, notify bool) {
	key := resultKey{containerID, u.Kind}
	m.mu.Lock()
	prev, had := m.results[key]
	m.results[key] = u.Result
	m.mu.Unlock()
	if !notify || (had && prev == u.Result) {
		return
	}
	select {
	case m.updates <- u:
	case <-ctx.Done():
	}
}

func (m *Manager) forget(containerID string, kind Kind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.results, resultKey{containerID, kind})
}
