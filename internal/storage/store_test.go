package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/capstan/capstan/internal/etcd"
)

func newTestStore(t *testing.T) *Store {
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
	return New(c, NewProtobufCodec(scheme.Scheme), "/registry")
}

func cm(name string, labels map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: labels},
	}
}

func TestCreateGetUpdateDelete(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	created, err := s.Create(ctx, "/configmaps/ns/a", cm("a", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "/configmaps/ns/a", cm("a", nil)); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	rv := created.(*corev1.ConfigMap).ResourceVersion
	updated, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, func(cur runtime.Object) (runtime.Object, bool, error) {
		c := cur.(*corev1.ConfigMap).DeepCopy()
		c.Data = map[string]string{"k": "v"}
		return c, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.(*corev1.ConfigMap).ResourceVersion == rv {
		t.Fatal("update kept the resourceVersion")
	}
	noop, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, func(cur runtime.Object) (runtime.Object, bool, error) { return cur, false, nil })
	if err != nil || noop.(*corev1.ConfigMap).ResourceVersion != updated.(*corev1.ConfigMap).ResourceVersion {
		t.Fatalf("no-op update changed resourceVersion: %v", err)
	}
	got, err := s.Get(ctx, "/configmaps/ns/a")
	if err != nil || got.(*corev1.ConfigMap).Data["k"] != "v" {
		t.Fatalf("get after update: %v %v", got, err)
	}
	stale := fmt.Errorf("stale: %w", ErrConflict)
	_, err = s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, func(cur runtime.Object) (runtime.Object, bool, error) {
		if cur.(*corev1.ConfigMap).ResourceVersion == rv {
			return nil, false, nil
		}
		return nil, false, stale
	})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("update func error not returned: %v", err)
	}
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, func(cur runtime.Object) (runtime.Object, bool, error) { return cur, true, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "/configmaps/ns/a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestListPaginatesAtOneRevision(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for i := range 7 {
		l := map[string]string{"even": fmt.Sprint(i%2 == 0)}
		if _, err := s.Create(ctx, fmt.Sprintf("/configmaps/ns/c%d", i), cm(fmt.Sprintf("c%d", i), l)); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.List(ctx, "/configmaps/ns/", ListOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 || page.Continue == "" || page.Remaining == nil || *page.Remaining != 4 {
		t.Fatalf("first page: %d items, continue %q, remaining %v", len(page.Items), page.Continue, page.Remaining)
	}
	// A create after the first page must not show up in later pages.
	if _, err := s.Create(ctx, "/configmaps/ns/c9", cm("c9", nil)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for tok := page.Continue; tok != ""; {
		p, err := s.List(ctx, "/configmaps/ns/", ListOptions{Limit: 3, Continue: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			names = append(names, o.(*corev1.ConfigMap).Name)
		}
		tok = p.Continue
	}
	if fmt.Sprint(names) != "[c3 c4 c5 c6]" {
		t.Fatalf("later pages = %v", names)
	}
	even := func(o runtime.Object) bool { return o.(*corev1.ConfigMap).Labels["even"] == "true" }
	f, err := s.List(ctx, "/configmaps/ns/", ListOptions{Limit: 2, Filter: even})
	if err != nil || len(f.Items) != 2 || f.Continue == "" || f.Remaining != nil {
		t.Fatalf("filtered page: %+v %v", f, err)
	}
	if _, err := s.List(ctx, "/configmaps/ns/", ListOptions{Continue: "garbage"}); !errors.Is(err, ErrInvalidContinue) {
		t.Fatalf("bad token: %v", err)
	}
}

func TestWatchTranslatesFilterTransitionsAndCompaction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newTestStore(t)
	start, err := s.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	blue := func(o runtime.Object) bool { return o.(*corev1.ConfigMap).Labels["c"] == "blue" }
	ch := s.Watch(ctx, "/configmaps/", WatchOptions{Recursive: true, After: start, Filter: blue})
	mustCreate := func(name, color string) {
		if _, err := s.Create(ctx, "/configmaps/ns/"+name, cm(name, map[string]string{"c": color})); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate("x", "red")
	mustCreate("y", "blue")
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/y", nil, func(cur runtime.Object) (runtime.Object, bool, error) {
		c := cur.(*corev1.ConfigMap).DeepCopy()
		c.Labels["c"] = "red"
		return c, false, nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []watch.EventType{watch.Added, watch.Deleted}
	for i, w := range want {
		e := <-ch
		if e.Err != nil || e.Type != w || e.Object.(*corev1.ConfigMap).Name != "y" {
			t.Fatalf("event %d = %v %v %v, want %v y", i, e.Type, e.Object, e.Err, w)
		}
	}

	rev, _ := s.CurrentRevision(ctx)
	if err := s.Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}
	old := s.Watch(ctx, "/configmaps/", WatchOptions{Recursive: true, After: start})
	e := <-old
	var ce *CompactedError
	if !errors.As(e.Err, &ce) || ce.Compacted != rev {
		t.Fatalf("watch from compacted revision: %+v", e)
	}
}
