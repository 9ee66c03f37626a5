package cacher

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/capstan/capstan/internal/storage"
)

func TestWatchFailureResumesWithoutGap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	f := newFaultySource(s)
	c := startCacher(t, f)
	ch := c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: c.Revision()})
	first := w.create("ns", "a", "red")
	if e := next(t, ch, 5*time.Second); e.Revision != first {
		t.Fatalf("got %s, want ADDED at %d", summary([]storage.Event{e}), first)
	}
	f.cut()
	missed := []int64{w.create("ns", "b", "red"), w.recolor("ns", "a", "blue")}
	f.reconnect()
	for _, rev := range missed {
		if e := next(t, ch, 5*time.Second); e.Err != nil || e.Revision != rev {
			t.Fatalf("got %s, want the event at %d", summary([]storage.Event{e}), rev)
		}
	}
}

func TestRelistAfterCompaction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	f := newFaultySource(s)
	c := startCacher(t, f)
	old := c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: c.Revision()})
	w.create("ns", "a", "red")
	next(t, old, 5*time.Second)
	stale := c.Revision()

	f.cut()
	w.create("ns", "b", "red")
	w.remove("ns", "a")
	compactAt := w.create("ns", "c", "red")
	if err := s.Compact(ctx, compactAt); err != nil {
		t.Fatal(err)
	}
	f.reconnect()

	e := next(t, old, 10*time.Second)
	var ce *storage.CompactedError
	if !errors.As(e.Err, &ce) || ce.Requested != stale {
		t.Fatalf("old watcher got %s, want CompactedError from %d", summary([]storage.Event{e}), stale)
	}
	if err := c.waitForRevision(ctx, compactAt); err != nil {
		t.Fatal(err)
	}
	res, err := c.List(ctx, "/configmaps/", storage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range res.Items {
		names = append(names, o.(*corev1.ConfigMap).Name)
	}
	if len(names) != 2 || names[0] != "b" || names[1] != "c" {
		t.Fatalf("after relist the cache holds %v, want [b c]", names)
	}
	if got := collect(c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: stale}), 200*time.Millisecond); len(got) != 1 || !errors.As(got[0].Err, &ce) {
		t.Fatalf("watch from before the relist got %s, want CompactedError", summary(got))
	}
	fresh := c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: res.Revision})
	rev := w.create("ns", "d", "red")
	if e := next(t, fresh, 5*time.Second); e.Type != watch.Added || e.Revision != rev {
		t.Fatalf("watch after relist got %s, want ADDED at %d", summary([]storage.Event{e}), rev)
	}
}
