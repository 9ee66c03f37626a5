package apiserver

import (
	"context"
	"log/slog"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/storage"
	"github.com/capstan/capstan/internal/storage/cacher"
)

// watchCaches holds one watch cache per storage prefix, made on the first
// watch of a resource (or admission read, see cachedLookup) once the
// server has started. Watches a cache cannot
// serve yet (it is loading, or they start before its window) go to the
// store directly.
type watchCaches struct {
	store  *storage.Store
	log    *slog.Logger
	mu     sync.Mutex
	ctx    context.Context // the server's lifetime; nil before Start
	byPref map[string]*cacher.Cacher
	// wrote is, per prefix that admission reads from the cache, the
	// revision of the newest write this server made under it.
	wrote map[string]int64
}

func newWatchCaches(store *storage.Store, log *slog.Logger) *watchCaches {
	return &watchCaches{store: store, log: log, byPref: map[string]*cacher.Cacher{}, wrote: map[string]int64{}}
}

// start enables caching for the server's lifetime, ctx.
func (w *watchCaches) start(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
}

// cacher returns prefix's cache, made now if the server has started; nil
// before Start.
func (w *watchCaches) cacher(prefix string) *cacher.Cacher {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.byPref[prefix]
	if c == nil && w.ctx != nil {
		c = cacher.New(w.ctx, w.store, prefix, w.log.With("prefix", prefix))
		w.byPref[prefix] = c
	}
	return c
}

// loaded returns prefix's cache if it has loaded its initial list (making
// it if need be), nil otherwise; it does not block.
func (w *watchCaches) loaded(prefix string) *cacher.Cacher {
	c := w.cacher(prefix)
	if c == nil {
		return nil
	}
	select {
	case <-c.Ready():
		return c
	default:
		return nil
	}
}

// noteWrite records that this server wrote under prefix at revision rev.
func (w *watchCaches) noteWrite(prefix string, rev int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wrote[prefix] = max(w.wrote[prefix], rev)
}

// written is the revision of this server's newest write under prefix (0
// if none).
func (w *watchCaches) written(prefix string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wrote[prefix]
}

// watch serves a watch under key (within prefix) from the cache when it can.
func (w *watchCaches) watch(ctx context.Context, prefix, key string, opts storage.WatchOptions) <-chan storage.Event {
	c := w.cacher(prefix)
	if c != nil && c.Covers(opts.After) {
		return c.Watch(ctx, key, opts)
	}
	return w.store.Watch(ctx, key, opts)
}

// suggestion returns the cached copy of the object at key (under res's
// storage prefix) as a starting point for a conditional write
// (storage.Store.GuaranteedUpdate), or nil when there is no loaded cache
// or it does not hold the key. It never makes a cache.
func (w *watchCaches) suggestion(res *Resource, key string) runtime.Object {
	w.mu.Lock()
	c := w.byPref[res.storagePrefix()]
	w.mu.Unlock()
	if c == nil {
		return nil
	}
	obj, _ := c.Get(key)
	return obj
}
