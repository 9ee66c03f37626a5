package storage

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Event is one change seen by a watch. Err is set (and the rest empty) when
// the watch fails; the channel closes right after.
type Event struct {
	Type     watch.EventType
	Object   runtime.Object
	Revision int64
	Err      error
}

// WatchOptions says what to watch.
type WatchOptions struct {
	// Recursive watches every key under the key (a collection); otherwise
	// exactly the key.
	Recursive bool
	// After: deliver changes with revision > After.
	After  int64
	Filter Filter
}

// Watch streams changes under key until ctx is done, then closes the
// channel. A change that moves an object into or out of the filter is
// delivered as ADDED or DELETED, as upstream does.
func (s *Store) Watch(ctx context.Context, key string, opts WatchOptions) <-chan Event {
	out := make(chan Event, 100)
	k := s.prefix + key
	wopts := []clientv3.OpOption{clientv3.WithRev(opts.After + 1), clientv3.WithPrevKV()}
	if opts.Recursive {
		wopts = append(wopts, clientv3.WithPrefix())
	}
	go func() {
		defer close(out)
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		defer cancel()
		for resp := range s.client.Watch(wctx, k, wopts...) {
			if resp.CompactRevision != 0 {
				send(ctx, out, Event{Err: &CompactedError{Requested: opts.After, Compacted: resp.CompactRevision}})
				return
			}
			if err := resp.Err(); err != nil {
				send(ctx, out, Event{Err: fmt.Errorf("etcd watch %s: %w", key, err)})
				return
			}
			for _, ev := range resp.Events {
				e, ok, err := s.translate(ctx, ev, opts.Filter)
				if err != nil {
					send(ctx, out, Event{Err: err})
					return
				}
				if ok && !send(ctx, out, e) {
					return
				}
			}
		}
	}()
	return out
}

func send(ctx context.Context, out chan<- Event, e Event) bool {
	select {
	case out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// translate turns one etcd event into the watch event a client sees, if any.
func (s *Store) translate(ctx context.Context, ev *clientv3.Event, filter Filter) (Event, bool, error) {
	rev := ev.Kv.ModRevision
	var cur, prev runtime.Object
	var err error
	if ev.Type == clientv3.EventTypePut {
		if cur, err = s.decodeStored(ctx, string(ev.Kv.Key), ev.Kv.Value, rev); err != nil {
			return Event{}, false, err
		}
	}
	if ev.PrevKv != nil {
		// The previous object is reported at the revision of this change.
		if prev, err = s.decodeStored(ctx, string(ev.PrevKv.Key), ev.PrevKv.Value, rev); err != nil {
			return Event{}, false, err
		}
	}
	pass := func(o runtime.Object) bool { return o != nil && (filter == nil || filter(o)) }
	curOK, prevOK := pass(cur), pass(prev)
	switch {
	case ev.Type == clientv3.EventTypeDelete:
		return Event{Type: watch.Deleted, Object: prev, Revision: rev}, prevOK, nil
	case curOK && prevOK:
		return Event{Type: watch.Modified, Object: cur, Revision: rev}, true, nil
	case curOK:
		return Event{Type: watch.Added, Object: cur, Revision: rev}, true, nil
	case prevOK:
		return Event{Type: watch.Deleted, Object: prev, Revision: rev}, true, nil
	}
	return Event{}, false, nil
}
