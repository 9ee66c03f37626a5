package authz

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/storage"
)

// Source is the part of the store the indexes are fed from; *storage.Store
// implements it. List must return every object under prefix when
// opts.Limit is 0; Watch closes its channel after an event with Err.
type Source interface {
	List(ctx context.Context, prefix string, opts storage.ListOptions) (*storage.ListResult, error)
	Watch(ctx context.Context, key string, opts storage.WatchOptions) <-chan storage.Event
}

var _ Source = (*storage.Store)(nil)

// sink receives the objects of one storage prefix.
type sink struct {
	set    func(runtime.Object)
	remove func(runtime.Object)
}

// feed keeps a sink current with the objects under prefix: a list, then a
// watch from its revision, relisting whenever the watch fails.
type feed struct {
	src    Source
	prefix string
	sink   sink
	log    *slog.Logger
	clock  clock.Clock
	held   map[string]runtime.Object // key → object last given to the sink
}

// list loads the prefix, replacing what the sink held; it returns the
// revision to watch from.
func (f *feed) list(ctx context.Context) (int64, error) {
	res, err := f.src.List(ctx, f.prefix, storage.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", f.prefix, err)
	}
	seen := make(map[string]runtime.Object, len(res.Items))
	for _, obj := range res.Items {
		k := objectKey(obj)
		seen[k] = obj
		f.sink.set(obj)
	}
	for k, old := range f.held {
		if _, ok := seen[k]; !ok {
			f.sink.remove(old)
		}
	}
	f.held = seen
	return res.Revision, nil
}

// run watches from rev until ctx ends, relisting after failures.
func (f *feed) run(ctx context.Context, rev int64) {
	for ctx.Err() == nil {
		err := f.watch(ctx, rev)
		if ctx.Err() != nil {
			return
		}
		f.log.Warn("authorization watch ended; relisting", "prefix", f.prefix, "err", err)
		for {
			select {
			case <-ctx.Done():
				return
			case <-f.clock.After(time.Second):
			}
			if rev, err = f.list(ctx); err == nil {
				break
			}
			f.log.Warn("authorization relist failed", "prefix", f.prefix, "err", err)
		}
	}
}

// watch applies events until the watch fails (or ctx ends).
func (f *feed) watch(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for ev := range f.src.Watch(wctx, f.prefix, storage.WatchOptions{Recursive: true, After: rev}) {
		if ev.Err != nil {
			return ev.Err
		}
		k := objectKey(ev.Object)
		switch ev.Type {
		case watch.Added, watch.Modified:
			f.held[k] = ev.Object
			f.sink.set(ev.Object)
		case watch.Deleted:
			delete(f.held, k)
			f.sink.remove(ev.Object)
		}
	}
	return fmt.Errorf("watch %s closed", f.prefix)
}

func objectKey(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetNamespace() + "/" + m.GetName()
}

// startFeeds lists every feed (returning the first error) and then keeps
// them current in the background until ctx ends.
func startFeeds(ctx context.Context, feeds []*feed) error {
	revs := make([]int64, len(feeds))
	for i, f := range feeds {
		rev, err := f.list(ctx)
		if err != nil {
			return err
		}
		revs[i] = rev
	}
	for i, f := range feeds {
		go f.run(ctx, revs[i])
	}
	return nil
}
