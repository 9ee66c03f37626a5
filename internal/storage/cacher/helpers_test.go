package cacher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/capstan/capstan/internal/etcd"
	"github.com/capstan/capstan/internal/storage"
)

func newTestStore(t testing.TB) *storage.Store {
	t.Helper()
	e, err := etcd.StartEmbedded(context.Background(), t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	c, err := e.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return storage.New(c, storage.NewProtobufCodec(scheme.Scheme), "/registry")
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// startCacher starts a cacher over src for "/configmaps/" and waits until
// it is ready; it stops with the test.
func startCacher(t testing.TB, src source, opts ...Option) *Cacher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := newCacher(ctx, src, "/configmaps/", testLogger(t), opts...)
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("cacher not ready")
	}
	return c
}

func newCM(ns, name, color string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"c": color}},
	}
}

// writer applies scripted changes to configmaps and returns revisions.
type writer struct {
	t     testing.TB
	ctx   context.Context
	store *storage.Store
}

func (w writer) create(ns, name, color string) int64 {
	w.t.Helper()
	obj, err := w.store.Create(w.ctx, fmt.Sprintf("/configmaps/%s/%s", ns, name), newCM(ns, name, color))
	if err != nil {
		w.t.Fatal(err)
	}
	return rvOf(w.t, obj)
}

func (w writer) recolor(ns, name, color string) int64 {
	w.t.Helper()
	return w.update(ns, name, false, func(c *corev1.ConfigMap) { c.Labels["c"] = color })
}

func (w writer) remove(ns, name string) int64 {
	w.t.Helper()
	return w.update(ns, name, true, func(*corev1.ConfigMap) {})
}

func (w writer) update(ns, name string, del bool, f func(*corev1.ConfigMap)) int64 {
	w.t.Helper()
	obj, err := w.store.GuaranteedUpdate(w.ctx, fmt.Sprintf("/configmaps/%s/%s", ns, name), nil, func(cur runtime.Object) (runtime.Object, bool, error) {
		c := cur.(*corev1.ConfigMap).DeepCopy()
		f(c)
		return c, del, nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if del {
		rev, err := w.store.CurrentRevision(w.ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		return rev
	}
	return rvOf(w.t, obj)
}

func rvOf(t testing.TB, obj runtime.Object) int64 {
	t.Helper()
	var rv int64
	if _, err := fmt.Sscan(obj.(*corev1.ConfigMap).ResourceVersion, &rv); err != nil {
		t.Fatal(err)
	}
	return rv
}

// collect reads events until none arrives for idle, the channel closes, or
// an error event arrives.
func collect(ch <-chan storage.Event, idle time.Duration) []storage.Event {
	var got []storage.Event
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, e)
			if e.Err != nil {
				return got
			}
		case <-time.After(idle):
			return got
		}
	}
}

// next returns the next event or fails after timeout.
func next(t testing.TB, ch <-chan storage.Event, timeout time.Duration) storage.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return e
	case <-time.After(timeout):
		t.Fatal("no event")
	}
	return storage.Event{}
}

// faultySource wraps a store so tests can break the cacher's watch, hold
// it disconnected, and inject events into it.
type faultySource struct {
	*storage.Store
	mu     sync.Mutex
	gate   chan struct{} // closed while watches may connect
	inject chan storage.Event
}

func newFaultySource(s *storage.Store) *faultySource {
	f := &faultySource{Store: s, gate: make(chan struct{}), inject: make(chan storage.Event)}
	close(f.gate)
	return f
}

func (f *faultySource) Watch(ctx context.Context, key string, opts storage.WatchOptions) <-chan storage.Event {
	out := make(chan storage.Event)
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	go func() {
		defer close(out)
		select {
		case <-gate:
		case <-ctx.Done():
			return
		}
		in := f.Store.Watch(ctx, key, opts)
		for {
			var e storage.Event
			var ok bool
			select {
			case e, ok = <-in:
				if !ok {
					return
				}
			case e = <-f.inject:
			case <-ctx.Done():
				return
			}
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
			if e.Err != nil {
				return
			}
		}
	}()
	return out
}

// cut fails the current watch and keeps new ones waiting until reconnect.
func (f *faultySource) cut() {
	f.mu.Lock()
	f.gate = make(chan struct{})
	f.mu.Unlock()
	f.inject <- storage.Event{Err: errors.New("injected watch failure")}
}

func (f *faultySource) reconnect() {
	f.mu.Lock()
	close(f.gate)
	f.mu.Unlock()
}
