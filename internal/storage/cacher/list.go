package cacher

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/storage"
)

// ErrNotCached: the list asks for something the cache cannot answer (a page,
// or an exact older revision); the caller should read the store instead.
var ErrNotCached = errors.New("not served from the watch cache")

// revisionWait bounds how long a list waits for the cache to reach the
// revision it asked not to be older than (upstream waits 3 s too).
const revisionWait = 3 * time.Second

// List returns the cached objects whose keys start with key, filtered and
// sorted by key, at the cache's current revision. opts.Revision is a lower
// bound: if it is newer than the cache, List waits up to 3 s for the cache
// to catch up, then fails with storage.ErrTooLargeRV. Pages (Limit,
// Continue) and exact reads of another revision fail with ErrNotCached: the
// server serves those from the store. The items are shared: consumers must
// not mutate them.
func (c *Cacher) List(ctx context.Context, key string, opts storage.ListOptions) (*storage.ListResult, error) {
	if opts.Limit > 0 || opts.Continue != "" {
		return nil, fmt.Errorf("list %s with limit or continue: %w", key, ErrNotCached)
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("list %s: waiting for the watch cache: %w", key, ctx.Err())
	}
	if err := c.waitForRevision(ctx, opts.Revision); err != nil {
		return nil, fmt.Errorf("list %s: %w", key, err)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if opts.Exact && opts.Revision != 0 && opts.Revision != c.rev {
		return nil, fmt.Errorf("list %s at exact revision %d (cache at %d): %w", key, opts.Revision, c.rev, ErrNotCached)
	}
	return &storage.ListResult{Items: selectSorted(c.objects, key, opts.Filter), Revision: c.rev}, nil
}

// selectSorted returns the objects under prefix that pass filter, by key.
func selectSorted(objects map[string]runtime.Object, prefix string, filter storage.Filter) []runtime.Object {
	keys := make([]string, 0, len(objects))
	for k, obj := range objects {
		if strings.HasPrefix(k, prefix) && (filter == nil || filter(obj)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	items := make([]runtime.Object, len(keys))
	for i, k := range keys {
		items[i] = objects[k]
	}
	return items
}

// waitForRevision returns once the cache has reached rev, or
// storage.ErrTooLargeRV after revisionWait.
func (c *Cacher) waitForRevision(ctx context.Context, rev int64) error {
	timer := time.NewTimer(revisionWait)
	defer timer.Stop()
	for {
		c.mu.RLock()
		cur, changed := c.rev, c.revChanged
		c.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("%w: %d, watch cache at %d", storage.ErrTooLargeRV, rev, cur)
		}
	}
}

// Get returns the cached object at key, if the cache has loaded and holds
// it. It does not wait for any revision: the object may be behind etcd,
// so it suits callers that verify what they read (a write conditioned on
// its resourceVersion). The object is shared: callers must not mutate it.
func (c *Cacher) Get(key string) (runtime.Object, bool) {
	select {
	case <-c.ready:
	default:
		return nil, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	obj, ok := c.objects[key]
	return obj, ok
}
