package fieldmanager

import (
	"context"
	"fmt"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// managedOf returns obj's managedFields.
func managedOf(t *testing.T, obj runtime.Object) []metav1.ManagedFieldsEntry {
	t.Helper()
	entries, err := managedFieldsOf(obj)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// The per-kind values (merge type, zero object, updaters) are shared by
// concurrent writes: creates and status updates of several kinds, run in
// parallel on one manager, record exactly what each records alone on a
// manager whose caches are empty.
func TestKindCacheSharedByConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	shared := testManager(t)
	created, err := shared.Update(ctx, podGVK, nil, benchPod(0), "creator", "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		gvk         schema.GroupVersionKind
		subresource string
		objects     func() (cur, next runtime.Object)
	}{
		{"pod create", podGVK, "", func() (runtime.Object, runtime.Object) { return nil, benchPod(1) }},
		{"deployment create", deployGVK, "", func() (runtime.Object, runtime.Object) { return nil, newDeployment() }},
		{"configmap create", cmGVK, "", func() (runtime.Object, runtime.Object) {
			return nil, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"k": "v"}}
		}},
		{"pod status", podGVK, "status", func() (runtime.Object, runtime.Object) {
			next := created.DeepCopyObject().(*corev1.Pod)
			next.Status.Phase = corev1.PodRunning
			return created, next
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fresh, err := New(shared.scheme, WithClock(shared.clock))
			if err != nil {
				t.Fatal(err)
			}
			cur, next := c.objects()
			want, err := fresh.Update(ctx, c.gvk, cur, next, "writer", c.subresource)
			if err != nil {
				t.Fatal(err)
			}
			if len(managedOf(t, want)) == 0 {
				t.Fatal("the write recorded no managed fields")
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 20 {
						cur, next := c.objects()
						got, err := shared.Update(ctx, c.gvk, cur, next, "writer", c.subresource)
						if err != nil {
							errs <- err
							return
						}
						if g, w := managedOf(t, got), managedOf(t, want); !equality.Semantic.DeepEqual(g, w) {
							errs <- fmt.Errorf("managedFields = %v, want %v", g, w)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
