package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// versioned is a fake Transformer: it writes "gen<N>:" + reversed bytes and
// reads any generation, reporting older ones as stale. Keys outside only
// pass through.
type versioned struct {
	gen  int
	only string
}

var _ Transformer = (*versioned)(nil)

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

func (v *versioned) TransformToStorage(_ context.Context, plain []byte, key string) ([]byte, error) {
	if !bytes.HasPrefix([]byte(key), []byte(v.only)) {
		return plain, nil
	}
	return append([]byte(fmt.Sprintf("gen%d:", v.gen)), reversed(plain)...), nil
}

func (v *versioned) TransformFromStorage(_ context.Context, value []byte, key string) ([]byte, bool, error) {
	if !bytes.HasPrefix([]byte(key), []byte(v.only)) {
		return value, false, nil
	}
	var gen int
	if _, err := fmt.Sscanf(string(value), "gen%d:", &gen); err != nil {
		return nil, false, errors.New("not transformed")
	}
	body := value[bytes.IndexByte(value, ':')+1:]
	return reversed(body), gen != v.gen, nil
}

func TestTransformerOnEveryPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base := newTestStore(t)
	tr := &versioned{gen: 1, only: "/registry/configmaps/"}
	s := New(base.client, base.codec, "/registry", WithTransformer(tr))

	w := s.Watch(ctx, "/configmaps/", WatchOptions{Recursive: true})
	created, err := s.Create(ctx, "/configmaps/ns/a", cm("a", map[string]string{"x": "secretlabel"}))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.client.Get(ctx, "/registry/configmaps/ns/a")
	if err != nil {
		t.Fatal(err)
	}
	if v := raw.Kvs[0].Value; !bytes.HasPrefix(v, []byte("gen1:")) || bytes.Contains(v, []byte("secretlabel")) {
		t.Fatalf("raw etcd value not transformed: %q", v)
	}
	if ev := <-w; ev.Err != nil || ev.Type != watch.Added || ev.Object.(*corev1.ConfigMap).Labels["x"] != "secretlabel" {
		t.Fatalf("watch event: %+v", ev)
	}
	got, err := s.Get(ctx, "/configmaps/ns/a")
	if err != nil || got.(*corev1.ConfigMap).Labels["x"] != "secretlabel" {
		t.Fatalf("get: %v %v", got, err)
	}
	list, err := s.List(ctx, "/configmaps/", ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}

	noop := func(cur runtime.Object) (runtime.Object, bool, error) { return cur.DeepCopyObject(), false, nil }
	rv := created.(*corev1.ConfigMap).ResourceVersion
	same, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, noop)
	if err != nil || same.(*corev1.ConfigMap).ResourceVersion != rv {
		t.Fatalf("no-op update of a current value wrote: rv %s -> %v (%v)", rv, same, err)
	}

	tr.gen = 2 // rotate: the stored gen1 value is now stale
	// From a cached copy too: a no-op is checked against etcd, which
	// reveals the stale value.
	rewritten, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", same, noop)
	if err != nil || rewritten.(*corev1.ConfigMap).ResourceVersion == rv {
		t.Fatalf("no-op update of a stale value did not rewrite: %v %v", rewritten, err)
	}
	raw, _ = s.client.Get(ctx, "/registry/configmaps/ns/a")
	if !bytes.HasPrefix(raw.Kvs[0].Value, []byte("gen2:")) {
		t.Fatalf("rewrite did not use the current generation: %q", raw.Kvs[0].Value[:8])
	}
	if ev := <-w; ev.Err != nil || ev.Type != watch.Modified {
		t.Fatalf("watch after rewrite: %+v", ev)
	}
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, func(cur runtime.Object) (runtime.Object, bool, error) { return cur, true, nil }); err != nil {
		t.Fatal(err)
	}
	if ev := <-w; ev.Err != nil || ev.Type != watch.Deleted || ev.Object.(*corev1.ConfigMap).Labels["x"] != "secretlabel" {
		t.Fatalf("delete event: %+v", ev)
	}

	// A value the transformer cannot read is an error on every path.
	if _, err := s.client.Put(ctx, "/registry/configmaps/ns/bad", "garbage"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "/configmaps/ns/bad"); err == nil {
		t.Fatal("get of an untransformable value succeeded")
	}
	if _, err := s.List(ctx, "/configmaps/", ListOptions{}); err == nil {
		t.Fatal("list of an untransformable value succeeded")
	}
}
