package cacher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/capstan/capstan/internal/storage"
)

func TestWatchMatchesStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	w.create("ns", "pre", "blue") // in the cache's initial list
	c := startCacher(t, s)
	start := c.Revision()
	isBlue := func(o runtime.Object) bool { return o.(*corev1.ConfigMap).Labels["c"] == "blue" }
	cases := []struct {
		name string
		key  string
		opts storage.WatchOptions
	}{
		{"all", "/configmaps/", storage.WatchOptions{Recursive: true, After: start}},
		{"blue only", "/configmaps/", storage.WatchOptions{Recursive: true, After: start, Filter: isBlue}},
		{"one namespace", "/configmaps/ns2/", storage.WatchOptions{Recursive: true, After: start}},
		{"one key", "/configmaps/ns/y", storage.WatchOptions{After: start}},
		{"one key, blue", "/configmaps/ns/y", storage.WatchOptions{After: start, Filter: isBlue}},
	}
	fromStore := make([]<-chan storage.Event, len(cases))
	fromCache := make([]<-chan storage.Event, len(cases))
	for i, tc := range cases {
		fromStore[i] = s.Watch(ctx, tc.key, tc.opts)
		fromCache[i] = c.Watch(ctx, tc.key, tc.opts)
	}
	w.create("ns", "x", "red")
	w.create("ns", "y", "blue")
	w.create("ns2", "x", "blue")
	w.recolor("ns", "y", "red")
	w.recolor("ns", "x", "blue")
	w.recolor("ns", "y", "blue")
	w.recolor("ns", "pre", "red")
	w.remove("ns", "y")
	w.remove("ns2", "x")
	w.remove("ns", "pre")
	w.create("ns", "y", "red")
	w.remove("ns", "y")

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := collect(fromStore[i], 500*time.Millisecond)
			got := collect(fromCache[i], 500*time.Millisecond)
			if len(want) == 0 {
				t.Fatal("the store delivered nothing; the script does not exercise this case")
			}
			if len(got) != len(want) {
				t.Fatalf("cache delivered %d events, store %d:\ncache %s\nstore %s", len(got), len(want), summary(got), summary(want))
			}
			for j := range want {
				if got[j].Type != want[j].Type || got[j].Revision != want[j].Revision || !equality.Semantic.DeepEqual(got[j].Object, want[j].Object) {
					t.Errorf("event %d: cache %s, store %s", j, summary(got[j:j+1]), summary(want[j:j+1]))
				}
			}
		})
	}
}

func summary(events []storage.Event) string {
	out := ""
	for _, e := range events {
		if e.Err != nil {
			out += fmt.Sprintf("[error %v] ", e.Err)
			continue
		}
		m := e.Object.(*corev1.ConfigMap)
		out += fmt.Sprintf("[%s %s/%s %s rv=%s@%d] ", e.Type, m.Namespace, m.Name, m.Labels["c"], m.ResourceVersion, e.Revision)
	}
	return out
}

func TestWatchReplaysWindowAndRejectsOlder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	c := startCacher(t, s, WithCapacity(5))
	var revs []int64
	for i := range 10 {
		revs = append(revs, w.create("ns", fmt.Sprintf("o%d", i), "red"))
	}
	if err := c.waitForRevision(ctx, revs[9]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		after     int64
		wantFirst int // index into revs of the first replayed event; -1: compacted
	}{
		{"inside the window", revs[6], 7},
		{"at the window's start", revs[4], 5},
		{"just before the window", revs[3], -1},
		{"long before the window", 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: tt.after}), 300*time.Millisecond)
			if tt.wantFirst < 0 {
				var ce *storage.CompactedError
				if len(got) != 1 || !errors.As(got[0].Err, &ce) || ce.Requested != tt.after || ce.Compacted != revs[4] {
					t.Fatalf("got %s, want one CompactedError(%d, %d)", summary(got), tt.after, revs[4])
				}
				return
			}
			if len(got) != 10-tt.wantFirst {
				t.Fatalf("replayed %s, want revisions %v", summary(got), revs[tt.wantFirst:])
			}
			for i, e := range got {
				if e.Type != watch.Added || e.Revision != revs[tt.wantFirst+i] {
					t.Errorf("event %d: %s, want ADDED at %d", i, summary(got[i:i+1]), revs[tt.wantFirst+i])
				}
			}
		})
	}
}

func TestFanoutSurvivesStuckWatcher(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	longGrace := func(c *config) { c.errorGrace = time.Minute }
	c := startCacher(t, s, WithWatchBuffer(64, 100*time.Millisecond), longGrace)
	const watchers, events = 200, 500
	after := c.Revision()
	stuck := c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: after})
	counts := make([]int, watchers)
	var wg sync.WaitGroup
	for i := range watchers {
		ch := c.Watch(ctx, "/configmaps/", storage.WatchOptions{Recursive: true, After: after})
		wg.Go(func() {
			last := after
			for e := range ch {
				if e.Err != nil || e.Type != watch.Added || e.Revision <= last {
					t.Errorf("watcher %d: unexpected %s after revision %d", i, summary([]storage.Event{e}), last)
					return
				}
				last = e.Revision
				if counts[i]++; counts[i] == events {
					return
				}
			}
		})
	}
	for i := range events {
		w.create("ns", fmt.Sprintf("o%d", i), "red")
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("watchers did not all finish: counts %v", counts)
	}
	for i, n := range counts {
		if n != events {
			t.Errorf("watcher %d saw %d of %d events", i, n, events)
		}
	}
	e := next(t, stuck, 5*time.Second)
	if !errors.Is(e.Err, ErrSlowWatcher) {
		t.Fatalf("stuck watcher got %s, want ErrSlowWatcher", summary([]storage.Event{e}))
	}
	if _, ok := <-stuck; ok {
		t.Fatal("stuck watcher's channel still open after its error")
	}
}

func TestList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	w.create("ns", "b", "blue")
	w.create("ns2", "a", "red")
	c := startCacher(t, s)
	w.create("ns", "a", "red")
	last := w.create("ns", "c", "blue")
	isBlue := func(o runtime.Object) bool { return o.(*corev1.ConfigMap).Labels["c"] == "blue" }
	tests := []struct {
		name    string
		key     string
		opts    storage.ListOptions
		want    []string
		wantErr error
	}{
		{"all at the newest revision", "/configmaps/", storage.ListOptions{Revision: last}, []string{"ns/a", "ns/b", "ns/c", "ns2/a"}, nil},
		{"any revision", "/configmaps/", storage.ListOptions{}, []string{"ns/a", "ns/b", "ns/c", "ns2/a"}, nil},
		{"one namespace, filtered", "/configmaps/ns/", storage.ListOptions{Filter: isBlue}, []string{"ns/b", "ns/c"}, nil},
		{"exact current revision", "/configmaps/", storage.ListOptions{Revision: last, Exact: true}, []string{"ns/a", "ns/b", "ns/c", "ns2/a"}, nil},
		{"exact older revision", "/configmaps/", storage.ListOptions{Revision: last - 1, Exact: true}, nil, ErrNotCached},
		{"a page", "/configmaps/", storage.ListOptions{Limit: 1}, nil, ErrNotCached},
		{"far future revision", "/configmaps/", storage.ListOptions{Revision: last + 1000}, nil, storage.ErrTooLargeRV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.waitForRevision(ctx, last); err != nil {
				t.Fatal(err)
			}
			res, err := c.List(ctx, tt.key, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Revision != last {
				t.Errorf("revision %d, want %d", res.Revision, last)
			}
			var got []string
			for _, o := range res.Items {
				m := o.(*corev1.ConfigMap)
				got = append(got, m.Namespace+"/"+m.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("items %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	w := writer{t, ctx, s}
	w.create("ns", "a", "blue")
	c := startCacher(t, s)
	last := w.recolor("ns", "a", "red")
	gone := w.create("ns", "b", "red")
	gone = max(gone, w.remove("ns", "b"))
	if err := c.waitForRevision(ctx, max(last, gone)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		key       string
		wantRV    int64 // 0: absent
		wantColor string
	}{
		{"/configmaps/ns/a", last, "red"},
		{"/configmaps/ns/b", 0, ""},
		{"/configmaps/ns/", 0, ""},
		{"/configmaps/other/a", 0, ""},
	} {
		obj, ok := c.Get(tt.key)
		if ok != (tt.wantRV != 0) {
			t.Fatalf("Get(%s) ok = %v, want %v", tt.key, ok, tt.wantRV != 0)
		}
		if ok && (rvOf(t, obj) != tt.wantRV || obj.(*corev1.ConfigMap).Labels["c"] != tt.wantColor) {
			t.Errorf("Get(%s) = rv %d %v, want rv %d color %s", tt.key, rvOf(t, obj), obj.(*corev1.ConfigMap).Labels, tt.wantRV, tt.wantColor)
		}
	}
}

func TestListWaitsForNewerRevision(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	c := startCacher(t, s)
	want := c.Revision() + 1
	created := make(chan struct{})
	go func() {
		defer close(created)
		time.Sleep(300 * time.Millisecond)
		if _, err := s.Create(ctx, "/configmaps/ns/late", newCM("ns", "late", "red")); err != nil {
			t.Error(err)
		}
	}()
	res, err := c.List(ctx, "/configmaps/", storage.ListOptions{Revision: want})
	<-created
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision < want || len(res.Items) != 1 {
		t.Fatalf("list at %d with %d items, want revision >= %d with the late object", res.Revision, len(res.Items), want)
	}
}

func TestProgressNotificationAdvancesRevision(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	f := newFaultySource(s)
	c := startCacher(t, f)
	target := c.Revision() + 50
	go func() {
		time.Sleep(200 * time.Millisecond)
		f.inject <- storage.Event{Type: watch.Bookmark, Revision: target}
	}()
	res, err := c.List(ctx, "/configmaps/", storage.ListOptions{Revision: target})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision != target || c.Revision() != target {
		t.Fatalf("list at %d, cache at %d, want %d", res.Revision, c.Revision(), target)
	}
}
