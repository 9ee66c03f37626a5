package storage

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// countingKV counts the reads and transactions a Store sends to etcd.
type countingKV struct {
	clientv3.KV
	gets, txns atomic.Int32
}

func (k *countingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	k.gets.Add(1)
	return k.KV.Get(ctx, key, opts...)
}

func (k *countingKV) Txn(ctx context.Context) clientv3.Txn {
	k.txns.Add(1)
	return k.KV.Txn(ctx)
}

// TestGuaranteedUpdateFromCachedObject: a cached object saves the read when
// it is current, and anything it cannot vouch for (a conflict, a failing
// update func, a no-op) is decided on etcd's current value.
func TestGuaranteedUpdateFromCachedObject(t *testing.T) {
	setK := func(v string) UpdateFunc {
		return func(cur runtime.Object) (runtime.Object, bool, error) {
			c := cur.(*corev1.ConfigMap).DeepCopy()
			c.Data = map[string]string{"k": v}
			return c, false, nil
		}
	}
	errNoData := errors.New("no data")
	for _, tc := range []struct {
		name string
		// stale: the suggestion is the object before a later write.
		stale     bool
		update    UpdateFunc
		wantK     string
		wantWrite bool
		wantErr   error
		wantGets  int32
		wantTxns  int32
		wantCalls int
	}{
		{name: "current", update: setK("new"), wantK: "new", wantWrite: true, wantTxns: 1, wantCalls: 1},
		// The conflict's transaction reads the current value itself.
		{name: "stale", stale: true, update: setK("new"), wantK: "new", wantWrite: true, wantTxns: 2, wantCalls: 2},
		{name: "update func fails on the cached copy only", stale: true,
			update: func(cur runtime.Object) (runtime.Object, bool, error) {
				c := cur.(*corev1.ConfigMap).DeepCopy()
				if c.Data["k"] == "" {
					return nil, false, errNoData
				}
				c.Data["k"] += "+"
				return c, false, nil
			},
			wantK: "later+", wantWrite: true, wantGets: 1, wantTxns: 1, wantCalls: 2},
		{name: "update func fails on etcd's value too", update: func(runtime.Object) (runtime.Object, bool, error) { return nil, false, errNoData },
			wantErr: errNoData, wantGets: 1, wantCalls: 2},
		{name: "no-op is confirmed against etcd", update: func(cur runtime.Object) (runtime.Object, bool, error) { return cur, false, nil },
			wantGets: 1, wantCalls: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newTestStore(t)
			created, err := s.Create(ctx, "/configmaps/ns/a", cm("a", nil))
			if err != nil {
				t.Fatal(err)
			}
			cached := created.DeepCopyObject()
			if tc.stale {
				if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", nil, setK("later")); err != nil {
					t.Fatal(err)
				}
			}
			before, err := s.Get(ctx, "/configmaps/ns/a")
			if err != nil {
				t.Fatal(err)
			}
			pristine := cached.DeepCopyObject()
			kv := &countingKV{KV: s.client.KV}
			s.client.KV = kv
			calls := 0
			out, err := s.GuaranteedUpdate(ctx, "/configmaps/ns/a", cached, func(cur runtime.Object) (runtime.Object, bool, error) {
				calls++
				if cur == cached {
					t.Error("the update func was handed the shared cached object")
				}
				return tc.update(cur)
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := [3]int{int(kv.gets.Load()), int(kv.txns.Load()), calls}; got != [3]int{int(tc.wantGets), int(tc.wantTxns), tc.wantCalls} {
				t.Errorf("gets, txns, update calls = %v, want %v", got, [3]int{int(tc.wantGets), int(tc.wantTxns), tc.wantCalls})
			}
			if !apiequality.Semantic.DeepEqual(cached, pristine) {
				t.Error("the cached object was modified")
			}
			s.client.KV = kv.KV
			stored, err := s.Get(ctx, "/configmaps/ns/a")
			if err != nil {
				t.Fatal(err)
			}
			storedRV := stored.(*corev1.ConfigMap).ResourceVersion
			if wrote := storedRV != before.(*corev1.ConfigMap).ResourceVersion; wrote != tc.wantWrite {
				t.Errorf("wrote = %v, want %v", wrote, tc.wantWrite)
			}
			if got := stored.(*corev1.ConfigMap).Data["k"]; got != tc.wantK {
				t.Errorf("stored k = %q, want %q", got, tc.wantK)
			}
			if tc.wantErr == nil && out.(*corev1.ConfigMap).ResourceVersion != storedRV {
				t.Errorf("returned resourceVersion %s, stored %s", out.(*corev1.ConfigMap).ResourceVersion, storedRV)
			}
		})
	}
}
