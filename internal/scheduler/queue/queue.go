package queue

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/clock"
)

// Upstream timings.
const (
	DefaultInitialBackoff   = 1 * time.Second
	DefaultMaxBackoff       = 10 * time.Second
	DefaultMaxUnschedulable = 5 * time.Minute
	backoffFlushPeriod      = 1 * time.Second
	unschedulableFlushEvery = 30 * time.Second
)

// ErrClosed is returned by Pop once the queue is closed.
var ErrClosed = errors.New("scheduling queue closed")

// QueuedPod is a pod waiting in, or popped from, the queue. The queue owns
// it until Pop returns it; the caller then owns it until it hands it back.
type QueuedPod struct {
	Pod *v1.Pod
	key string
	// Timestamp is when the pod last entered the queue or failed.
	Timestamp time.Time
	// Attempts counts scheduling attempts (Pop calls).
	Attempts int
	// UnschedulablePlugins are the plugins that rejected the pod last time.
	UnschedulablePlugins map[string]bool
	// cycle is the scheduling cycle in which the pod was popped.
	cycle int64
}

// Key returns namespace/name.
func (q *QueuedPod) Key() string { return q.key }

// Key returns the queue key of a pod.
func Key(pod *v1.Pod) string { return pod.Namespace + "/" + pod.Name }

// Options tune the queue; zero values take the upstream defaults.
type Options struct {
	Clock            clock.WithTicker
	InitialBackoff   time.Duration
	MaxBackoff       time.Duration
	MaxUnschedulable time.Duration
}

// Queue is the scheduling queue; all methods are safe for concurrent use.
type Queue struct {
	mu            sync.Mutex
	cond          *sync.Cond
	opts          Options
	active        *podHeap
	backoff       *podHeap
	unschedulable map[string]*QueuedPod
	// inFlight maps popped pods to their latest object (nil once deleted).
	inFlight  map[string]*v1.Pod
	cycle     int64
	moveCycle int64
	closed    bool
}

// New returns an empty queue.
func New(opts Options) *Queue {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.InitialBackoff == 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxUnschedulable == 0 {
		opts.MaxUnschedulable = DefaultMaxUnschedulable
	}
	q := &Queue{
		opts:          opts,
		active:        newPodHeap(activeLess),
		unschedulable: map[string]*QueuedPod{},
		inFlight:      map[string]*v1.Pod{},
	}
	q.backoff = newPodHeap(func(a, b *QueuedPod) bool { return q.backoffExpiry(a).Before(q.backoffExpiry(b)) })
	q.cond = sync.NewCond(&q.mu)
	return q
}

// priority is spec.priority, 0 when unset.
func priority(pod *v1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// activeLess orders by priority (high first), creation time (old first),
// then time in queue and key, so the order is total.
func activeLess(a, b *QueuedPod) bool {
	if pa, pb := priority(a.Pod), priority(b.Pod); pa != pb {
		return pa > pb
	}
	ca, cb := a.Pod.CreationTimestamp.Time, b.Pod.CreationTimestamp.Time
	if !ca.Equal(cb) {
		return ca.Before(cb)
	}
	if !a.Timestamp.Equal(b.Timestamp) {
		return a.Timestamp.Before(b.Timestamp)
	}
	return a.key < b.key
}

// backoffDuration is initial × 2^(attempts-1), capped at the maximum.
func (q *Queue) backoffDuration(p *QueuedPod) time.Duration {
	d := q.opts.InitialBackoff
	for i := 1; i < p.Attempts; i++ {
		if d >= q.opts.MaxBackoff/2 {
			return q.opts.MaxBackoff
		}
		d *= 2
	}
	return min(d, q.opts.MaxBackoff)
}

func (q *Queue) backoffExpiry(p *QueuedPod) time.Time { return p.Timestamp.Add(q.backoffDuration(p)) }

// Add queues a new pending pod, or updates it where it waits.
func (q *Queue) Add(pod *v1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := Key(pod)
	if q.updateLocked(key, pod) {
		return
	}
	q.active.upsert(&QueuedPod{Pod: pod, key: key, Timestamp: q.opts.Clock.Now()})
	q.cond.Broadcast()
}

// Update replaces a queued pod in place. An unschedulable pod whose spec or
// labels changed is moved towards active (the change may make it fit); a
// status-only change (such as our own condition) leaves it where it is.
func (q *Queue) Update(old, pod *v1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := Key(pod)
	if p, ok := q.unschedulable[key]; ok {
		p.Pod = pod
		if old == nil || !equality.Semantic.DeepEqual(old.Spec, pod.Spec) || !maps.Equal(old.Labels, pod.Labels) {
			delete(q.unschedulable, key)
			q.requeueLocked(p)
		}
		return
	}
	if q.updateLocked(key, pod) {
		return
	}
	q.active.upsert(&QueuedPod{Pod: pod, key: key, Timestamp: q.opts.Clock.Now()})
	q.cond.Broadcast()
}

// updateLocked updates the pod where it already waits or is in flight.
func (q *Queue) updateLocked(key string, pod *v1.Pod) bool {
	if p, ok := q.active.get(key); ok {
		p.Pod = pod
		q.active.upsert(p)
		return true
	}
	if p, ok := q.backoff.get(key); ok {
		p.Pod = pod
		return true
	}
	if p, ok := q.unschedulable[key]; ok {
		p.Pod = pod
		return true
	}
	if _, ok := q.inFlight[key]; ok {
		q.inFlight[key] = pod
		return true
	}
	return false
}

// Delete drops the pod wherever it is; a pod in flight is not re-queued.
func (q *Queue) Delete(pod *v1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := Key(pod)
	q.active.remove(key)
	q.backoff.remove(key)
	delete(q.unschedulable, key)
	if _, ok := q.inFlight[key]; ok {
		q.inFlight[key] = nil
	}
}

// Pop blocks until a pod is active, the queue is closed (ErrClosed) or ctx
// ends. The pod is in flight until Done or Requeue.
func (q *Queue) Pop(ctx context.Context) (*QueuedPod, error) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 {
		if q.closed {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q.cond.Wait()
	}
	p := q.active.pop()
	q.cycle++
	p.cycle = q.cycle
	p.Attempts++
	q.inFlight[p.key] = p.Pod
	return p, nil
}

// Done ends the flight of a pod that was assumed or dropped.
func (q *Queue) Done(p *QueuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inFlight, p.key)
}

// Requeue hands back a pod whose attempt failed. unschedulable (a "no")
// parks it until a cluster event, unless such an event happened while it
// was in flight; a fault (unschedulable false) sends it to backoff. A pod
// deleted meanwhile is dropped.
func (q *Queue) Requeue(p *QueuedPod, unschedulable bool, plugins map[string]bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	latest, ok := q.inFlight[p.key]
	delete(q.inFlight, p.key)
	if !ok || latest == nil {
		return
	}
	p.Pod = latest
	p.Timestamp = q.opts.Clock.Now()
	p.UnschedulablePlugins = plugins
	if unschedulable && q.moveCycle < p.cycle {
		q.unschedulable[p.key] = p
		return
	}
	q.backoff.upsert(p)
}

// requeueLocked sends a waiting pod to backoff or active.
func (q *Queue) requeueLocked(p *QueuedPod) {
	if q.backoffExpiry(p).After(q.opts.Clock.Now()) {
		q.backoff.upsert(p)
		return
	}
	q.active.upsert(p)
	q.cond.Broadcast()
}

// MoveUnschedulable moves the unschedulable pods for which match returns
// true (nil matches all) to backoff or active, after a cluster event.
func (q *Queue) MoveUnschedulable(match func(*QueuedPod) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveCycle = q.cycle
	for key, p := range q.unschedulable {
		if match == nil || match(p) {
			delete(q.unschedulable, key)
			q.requeueLocked(p)
		}
	}
}

// FlushBackoff moves pods whose backoff expired to active.
func (q *Queue) FlushBackoff() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Clock.Now()
	for {
		p := q.backoff.peek()
		if p == nil || q.backoffExpiry(p).After(now) {
			return
		}
		q.backoff.pop()
		q.active.upsert(p)
		q.cond.Broadcast()
	}
}

// FlushUnschedulable moves pods unschedulable for longer than the maximum
// (5 minutes) to backoff or active.
func (q *Queue) FlushUnschedulable() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Clock.Now()
	for key, p := range q.unschedulable {
		if now.Sub(p.Timestamp) >= q.opts.MaxUnschedulable {
			delete(q.unschedulable, key)
			q.requeueLocked(p)
		}
	}
}

// Run flushes backoff every second and unschedulable leftovers every 30s
// until ctx ends, then closes the queue.
func (q *Queue) Run(ctx context.Context) {
	backoff := q.opts.Clock.NewTicker(backoffFlushPeriod)
	defer backoff.Stop()
	leftovers := q.opts.Clock.NewTicker(unschedulableFlushEvery)
	defer leftovers.Stop()
	for {
		select {
		case <-ctx.Done():
			q.Close()
			return
		case <-backoff.C():
			q.FlushBackoff()
		case <-leftovers.C():
			q.FlushUnschedulable()
		}
	}
}

// Close wakes Pop callers with ErrClosed.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// Lengths returns how many pods are active, backing off and unschedulable.
func (q *Queue) Lengths() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

// Where reports which sub-queue holds key: "active", "backoff",
// "unschedulable", "inflight" or "" when absent.
func (q *Queue) Where(key string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.active.get(key); ok {
		return "active"
	}
	if _, ok := q.backoff.get(key); ok {
		return "backoff"
	}
	if _, ok := q.unschedulable[key]; ok {
		return "unschedulable"
	}
	if p, ok := q.inFlight[key]; ok && p != nil {
		return "inflight"
	}
	return ""
}
