package cacher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/capstan/capstan/internal/storage"
)

// DefaultCapacity is how many recent events a Cacher keeps for watches that
// resume from an older resourceVersion. Clients resume from the last
// revision they saw after a dropped connection or a watch timeout, usually
// seconds later; 1,000 events covers such a gap even during a burst of a
// thousand writes (the size of BenchmarkWatchFanout), while the memory cost
// stays bounded: each slot is a small struct pointing at objects that are
// already decoded, so at most 1,000 superseded object versions are retained.
// (Upstream starts at 100 and grows with the event rate; a fixed size is
// simpler and predictable.)
const DefaultCapacity = 1000

// source is what the cache reads: storage.Store's list and watch. Events
// of type watch.Bookmark with a nil Object are taken as progress
// notifications (all changes up to Revision were delivered); the store does
// not send them yet.
type source interface {
	List(ctx context.Context, prefix string, opts storage.ListOptions) (*storage.ListResult, error)
	Watch(ctx context.Context, key string, opts storage.WatchOptions) <-chan storage.Event
}

var _ source = (*storage.Store)(nil)

// Option changes a Cacher's defaults.
type Option func(*config)

type config struct {
	capacity    int
	watchBuffer int
	slowBudget  time.Duration
	errorGrace  time.Duration
}

// WithCapacity sets how many recent events are kept (DefaultCapacity).
func WithCapacity(n int) Option { return func(c *config) { c.capacity = n } }

// WithWatchBuffer sets how many events may wait for one watcher before it
// counts as slow (256), and how long the fan-out waits for slow watchers of
// one event before terminating them (250 ms).
func WithWatchBuffer(events int, wait time.Duration) Option {
	return func(c *config) { c.watchBuffer, c.slowBudget = events, wait }
}

// Cacher caches one resource's objects (all keys under prefix, e.g.
// "/pods/") from a store. Keys are derived from the objects as the API
// server builds them: prefix + namespace + "/" + name for namespaced objects,
// prefix + name otherwise.
type Cacher struct {
	src    source
	prefix string
	log    *slog.Logger
	cfg    config
	ready  chan struct{}

	mu      sync.RWMutex
	objects map[string]runtime.Object
	events  *ring
	// oldest: the window serves watches with After >= oldest.
	oldest int64
	rev    int64
	// revChanged is closed and replaced whenever rev advances.
	revChanged chan struct{}
	watchers   map[uint64]*watcher
	nextID     uint64
	stopped    bool
}

// New starts a Cacher: it lists prefix from store, then watches from the
// list revision until ctx is done. It relists and re-watches when the watch
// fails or falls behind etcd's compaction.
func New(ctx context.Context, store *storage.Store, prefix string, log *slog.Logger, opts ...Option) *Cacher {
	return newCacher(ctx, store, prefix, log, opts...)
}

func newCacher(ctx context.Context, src source, prefix string, log *slog.Logger, opts ...Option) *Cacher {
	cfg := config{capacity: DefaultCapacity, watchBuffer: 256, slowBudget: 250 * time.Millisecond, errorGrace: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	c := &Cacher{
		src:        src,
		prefix:     prefix,
		log:        log.With("prefix", prefix),
		cfg:        cfg,
		ready:      make(chan struct{}),
		objects:    map[string]runtime.Object{},
		events:     newRing(cfg.capacity),
		revChanged: make(chan struct{}),
		watchers:   map[uint64]*watcher{},
	}
	go c.run(ctx)
	return c
}

// Ready is closed once the initial list is loaded.
func (c *Cacher) Ready() <-chan struct{} { return c.ready }

// Revision is the newest revision the cache has seen.
func (c *Cacher) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rev
}

// keyOf returns the storage key of obj under the cache's prefix.
func (c *Cacher) keyOf(obj runtime.Object) (string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", fmt.Errorf("key of %T: %w", obj, err)
	}
	if ns := m.GetNamespace(); ns != "" {
		return c.prefix + ns + "/" + m.GetName(), nil
	}
	return c.prefix + m.GetName(), nil
}

// run keeps the cache fed until ctx is done.
func (c *Cacher) run(ctx context.Context) {
	defer c.stop()
	relist := true
	delay := backoff{min: 100 * time.Millisecond, max: 5 * time.Second}
	var compacted int64
	for ctx.Err() == nil {
		if relist {
			if err := c.relist(ctx, compacted); err != nil {
				c.log.Warn("watch cache list failed", "err", err)
				delay.wait(ctx)
				continue
			}
			relist = false
		}
		progressed, err := c.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		if progressed {
			delay.reset()
		}
		var ce *storage.CompactedError
		switch {
		case errors.As(err, &ce):
			relist, compacted = true, ce.Compacted
		case errors.Is(err, errResync):
			relist, compacted = true, 0
		}
		c.log.Info("watch cache restarting its watch", "err", err, "relist", relist)
		delay.wait(ctx)
	}
}

// relist replaces the cache with a fresh list. Watchers positioned before
// the list revision cannot be served any more and get a CompactedError.
func (c *Cacher) relist(ctx context.Context, compacted int64) error {
	res, err := c.src.List(ctx, c.prefix, storage.ListOptions{})
	if err != nil {
		return fmt.Errorf("list %s: %w", c.prefix, err)
	}
	objects := make(map[string]runtime.Object, len(res.Items))
	for _, obj := range res.Items {
		k, err := c.keyOf(obj)
		if err != nil {
			return err
		}
		objects[k] = obj
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if compacted < res.Revision {
		compacted = res.Revision
	}
	for id, w := range c.watchers {
		delete(c.watchers, id)
		w.terminate(&storage.CompactedError{Requested: c.rev, Compacted: compacted})
	}
	c.objects = objects
	c.events.reset()
	c.oldest = res.Revision
	c.setRevLocked(res.Revision)
	select {
	case <-c.ready:
	default:
		close(c.ready)
	}
	return nil
}

// follow watches the store from the cache's revision and applies events
// until the watch ends. It reports whether any event arrived and the error
// that ended the watch (nil if it just closed).
func (c *Cacher) follow(ctx context.Context) (progressed bool, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := c.src.Watch(wctx, c.prefix, storage.WatchOptions{Recursive: true, After: c.Revision()})
	for e := range events {
		if e.Err != nil {
			return progressed, e.Err
		}
		progressed = true
		if err := c.apply(e); err != nil {
			// Skipping an event would silently diverge from the store,
			// so start over from a fresh list.
			return progressed, fmt.Errorf("%w: %w", errResync, err)
		}
	}
	return progressed, nil
}

// apply records one store event and fans it out.
func (c *Cacher) apply(e storage.Event) error {
	if e.Type == watch.Bookmark && e.Object == nil {
		c.mu.Lock()
		if e.Revision > c.rev {
			c.setRevLocked(e.Revision)
		}
		c.mu.Unlock()
		return nil
	}
	key, err := c.keyOf(e.Object)
	if err != nil {
		c.log.Error("watch cache cannot key an object", "err", err)
		return err
	}
	ch := &change{key: key, typ: e.Type, obj: e.Object, rev: e.Revision}
	c.mu.Lock()
	ch.prev = c.objects[key]
	if e.Type == watch.Deleted {
		delete(c.objects, key)
	} else {
		c.objects[key] = e.Object
	}
	if old := c.events.push(ch); old != nil {
		c.oldest = old.rev
	}
	c.setRevLocked(e.Revision)
	targets := make([]*watcher, 0, len(c.watchers))
	for _, w := range c.watchers {
		targets = append(targets, w)
	}
	c.mu.Unlock()
	c.dispatch(ch, targets)
	return nil
}

func (c *Cacher) setRevLocked(rev int64) {
	c.rev = rev
	close(c.revChanged)
	c.revChanged = make(chan struct{})
}

// stop ends every watcher once the cache's context is done.
func (c *Cacher) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for id, w := range c.watchers {
		delete(c.watchers, id)
		w.terminate(errStopped)
	}
}

// Reasons a watcher or the cache's own watch ends.
var (
	errStopped = errors.New("watch cache stopped")
	errResync  = errors.New("watch cache must relist")
)

// backoff is a capped exponential delay between watch restarts.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) reset() { b.cur = 0 }

func (b *backoff) wait(ctx context.Context) {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	t := time.NewTimer(b.cur)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Covers reports, without blocking, whether a watch from after can be served
// from the cache: the cache is loaded and holds every change since after.
func (c *Cacher) Covers(after int64) bool {
	select {
	case <-c.ready:
	default:
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.stopped && after >= c.oldest
}
