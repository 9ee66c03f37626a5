package apiserver

import (
	"context"
	"log/slog"
	"sync"

	"github.com/capstan/capstan/internal/storage"
	"github.com/capstan/capstan/internal/storage/cacher"
)

// watchCaches holds one watch cache per storage prefix, made on the first
// watch of a resource once the server has started. Watches a cache cannot
// serve yet (it is loading, or they start before its window) go to the
// store directly.
type watchCaches struct {
	store  *storage.Store
	log    *slog.Logger
	mu     sync.Mutex
	ctx    context.Context // the server's lifetime; nil before Start
	byPref map[string]*cacher.Cacher
}

func newWatchCaches(store *storage.Store, log *slog.Logger) *watchCaches {
	return &watchCaches{store: store, log: log, byPref: map[string]*cacher.Cacher{}}
}

// start enables caching for the server's lifetime, ctx.
func (w *watchCaches) start(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
}

// watch serves a watch under key (within prefix) from the cache when it can.
func (w *watchCaches) watch(ctx context.Context, prefix, key string, opts storage.WatchOptions) <-chan storage.Event {
	w.mu.Lock()
	c := w.byPref[prefix]
	if c == nil && w.ctx != nil {
		c = cacher.New(w.ctx, w.store, prefix, w.log.With("prefix", prefix))
		w.byPref[prefix] = c
	}
	w.mu.Unlock()
	if c != nil && c.Covers(opts.After) {
		return c.Watch(ctx, key, opts)
	}
	return w.store.Watch(ctx, key, opts)
}
