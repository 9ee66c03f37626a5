package cacher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/capstan/capstan/internal/storage"
)

// ErrSlowWatcher ends a watch whose consumer did not keep up with the
// events; the client should watch again from the last revision it saw.
var ErrSlowWatcher = errors.New("watcher did not keep up")

// Watch has exactly storage.Store.Watch's contract: it streams changes
// under key (every key under it if opts.Recursive, else exactly key) with
// revision > opts.After until ctx is done, then closes the channel; changes
// that move an object into or out of opts.Filter arrive as ADDED or DELETED.
// It is served from the window of recent events and then live. If
// opts.After is older than the window, the only event is a
// *storage.CompactedError. A consumer that leaves events unread for too long
// gets an error wrapping ErrSlowWatcher instead of blocking other watchers.
// Every error event is the last one before the channel closes.
//
// The objects in the events are shared: consumers must not mutate them.
func (c *Cacher) Watch(ctx context.Context, key string, opts storage.WatchOptions) <-chan storage.Event {
	out := make(chan storage.Event)
	go func() {
		defer close(out)
		select {
		case <-c.ready:
		case <-ctx.Done():
			return
		}
		w, replay, err := c.register(key, opts)
		if err != nil {
			select {
			case out <- storage.Event{Err: err}:
			case <-ctx.Done():
			}
			return
		}
		defer c.unregister(w)
		w.serve(ctx, out, replay)
	}()
	return out
}

// watcher is one consumer of the cache.
type watcher struct {
	id        uint64
	key       string
	recursive bool
	after     int64
	filter    storage.Filter
	grace     time.Duration

	// in holds translated live events waiting for the consumer.
	in chan storage.Event
	// done is closed when the watcher ends; err says why (nil: the
	// consumer left).
	done chan struct{}
	once sync.Once
	err  error
}

// register adds a watcher and returns the buffered changes it must replay
// first. Holding the lock makes replay and live delivery meet exactly: live
// events are those applied after this call.
func (c *Cacher) register(key string, opts storage.WatchOptions) (*watcher, []*change, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil, nil, errStopped
	}
	if opts.After < c.oldest {
		return nil, nil, &storage.CompactedError{Requested: opts.After, Compacted: c.oldest}
	}
	c.nextID++
	w := &watcher{
		id: c.nextID, key: key, recursive: opts.Recursive, after: opts.After, filter: opts.Filter,
		grace: c.cfg.errorGrace,
		in:    make(chan storage.Event, c.cfg.watchBuffer),
		done:  make(chan struct{}),
	}
	c.watchers[w.id] = w
	return w, c.events.after(opts.After), nil
}

func (c *Cacher) unregister(w *watcher) {
	c.mu.Lock()
	delete(c.watchers, w.id)
	c.mu.Unlock()
	w.terminate(nil)
}

// terminate ends the watcher with err (once; later calls do nothing).
func (w *watcher) terminate(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.done)
	})
}

// serve replays, then forwards live events, until the consumer leaves or
// the watcher is terminated.
func (w *watcher) serve(ctx context.Context, out chan<- storage.Event, replay []*change) {
	for _, ch := range replay {
		if e, ok := w.translate(ch); ok && !w.send(ctx, out, e) {
			w.finish(ctx, out)
			return
		}
	}
	for {
		select {
		case e := <-w.in:
			if !w.send(ctx, out, e) {
				w.finish(ctx, out)
				return
			}
		case <-w.done:
			w.finish(ctx, out)
			return
		case <-ctx.Done():
			return
		}
	}
}

func (w *watcher) send(ctx context.Context, out chan<- storage.Event, e storage.Event) bool {
	select {
	case out <- e:
		return true
	case <-ctx.Done():
		return false
	case <-w.done:
		return false
	}
}

// finish delivers the terminating error, if any, giving a consumer that
// does not read a short grace before the channel closes without it.
func (w *watcher) finish(ctx context.Context, out chan<- storage.Event) {
	<-w.done
	if w.err == nil || ctx.Err() != nil {
		return
	}
	t := time.NewTimer(w.grace)
	defer t.Stop()
	select {
	case out <- storage.Event{Err: w.err}:
	case <-ctx.Done():
	case <-t.C:
	}
}

// translate returns the event this watcher sees for ch, if any.
func (w *watcher) translate(ch *change) (storage.Event, bool) {
	if ch.rev <= w.after {
		return storage.Event{}, false
	}
	if w.recursive && !strings.HasPrefix(ch.key, w.key) || !w.recursive && ch.key != w.key {
		return storage.Event{}, false
	}
	return translate(ch, w.filter)
}

// translate turns one change into the event a watcher with filter sees, as
// storage.Watch does: moving into the filter is ADDED, out of it DELETED.
func translate(ch *change, filter storage.Filter) (storage.Event, bool) {
	pass := func(ok bool) (storage.Event, bool) {
		return storage.Event{Type: ch.typ, Object: ch.obj, Revision: ch.rev}, ok
	}
	if filter == nil {
		return pass(true)
	}
	if ch.typ != watch.Modified {
		return pass(filter(ch.obj))
	}
	curOK, prevOK := filter(ch.obj), ch.prev != nil && filter(ch.prev)
	switch {
	case curOK && prevOK:
		return pass(true)
	case curOK:
		return storage.Event{Type: watch.Added, Object: ch.obj, Revision: ch.rev}, true
	case prevOK:
		return storage.Event{Type: watch.Deleted, Object: ch.leaving(), Revision: ch.rev}, true
	}
	return storage.Event{}, false
}

// dispatch hands ch to every target without letting one slow consumer hold
// up the others: watchers whose buffer stays full for the slow budget are
// terminated with ErrSlowWatcher.
func (c *Cacher) dispatch(ch *change, targets []*watcher) {
	var blocked []*watcher
	var pending []storage.Event
	for _, w := range targets {
		e, ok := w.translate(ch)
		if !ok {
			continue
		}
		select {
		case w.in <- e:
		case <-w.done:
		default:
			blocked, pending = append(blocked, w), append(pending, e)
		}
	}
	if len(blocked) == 0 {
		return
	}
	timer := time.NewTimer(c.cfg.slowBudget)
	defer timer.Stop()
	expired := false
	for i, w := range blocked {
		if !expired {
			select {
			case w.in <- pending[i]:
				continue
			case <-w.done:
				continue
			case <-timer.C:
				expired = true
			}
		}
		select {
		case w.in <- pending[i]:
			continue
		default:
		}
		c.mu.Lock()
		delete(c.watchers, w.id)
		c.mu.Unlock()
		c.log.Warn("watch cache terminated a slow watcher", "key", w.key, "revision", ch.rev)
		w.terminate(fmt.Errorf("watch %s at revision %d: %w", w.key, ch.rev, ErrSlowWatcher))
	}
}
