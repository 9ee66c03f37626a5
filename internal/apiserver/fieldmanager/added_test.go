package fieldmanager

import (
	"context"
	"errors"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/randfill"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// smdAddedOrChanged is what addedOrChanged must equal: structured-merge-
// diff's own comparison.
func smdAddedOrChanged(live, next *typed.TypedValue) (*fieldpath.Set, error) {
	c, err := live.Compare(next)
	if err != nil {
		return nil, err
	}
	return c.Added.Union(c.Modified), nil
}

// filler fills objects with few distinct strings, numbers and quantities,
// so that list items collide on their keys and two objects share values.
func filler(seed int64) *randfill.Filler {
	words := []string{"", "a", "b"}
	return randfill.New().RandSource(rand.NewSource(seed)).NilChance(0.3).NumElements(0, 3).MaxDepth(12).Funcs(
		func(s *string, c randfill.Continue) { *s = words[c.Intn(len(words))] },
		func(i *int32, c randfill.Continue) { *i = int32(c.Intn(3)) },
		func(i *int64, c randfill.Continue) { *i = int64(c.Intn(3)) },
		func(q *resource.Quantity, c randfill.Continue) {
			*q = resource.MustParse([]string{"1", "100m", "1Gi"}[c.Intn(3)])
		},
	)
}

// fill returns a random object of kind gvk, or nil when the filler cannot
// fill its type (interface fields).
func fill(t *testing.T, m *Manager, gvk schema.GroupVersionKind, f *randfill.Filler) (obj runtime.Object) {
	t.Helper()
	obj, err := m.scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() != nil {
			obj = nil
		}
	}()
	f.Fill(obj)
	return obj
}

// refill replaces one part (metadata or anything else) of a copy of obj,
// so that the two share the rest.
func refill(obj runtime.Object, f *randfill.Filler, part int) runtime.Object {
	out := obj.DeepCopyObject()
	v := reflect.ValueOf(out).Elem()
	fields := []reflect.Value{}
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Name != "TypeMeta" {
			fields = append(fields, v.Field(i))
		}
	}
	if len(fields) == 0 {
		return out
	}
	func() {
		defer func() { _ = recover() }()
		f.Fill(fields[part%len(fields)].Addr().Interface())
	}()
	return out
}

// For every kind with a merge schema, on random objects: the fast
// comparison either declines (errUnhandled) or yields exactly the Added and
// Modified sets of structured-merge-diff's Compare, against the zero object
// (a create), an unrelated object and a copy with one part changed.
func TestAddedOrChangedMatchesCompare(t *testing.T) {
	m := testManager(t)
	kinds := mergeKinds(t, m)
	handled := map[schema.GroupVersionKind]int{}
	for _, gvk := range kinds {
		pt, _ := m.typeOf(gvk)
		zero, _ := m.zeroOf(pt, gvk)
		for seed := int64(0); seed < 40; seed++ {
			f := filler(seed)
			a := fill(t, m, gvk, f)
			if a == nil {
				break
			}
			at, err := m.toTyped(pt, gvk, a)
			if err != nil {
				continue // not an object the API could hold
			}
			pairs := map[string][2]*typed.TypedValue{"create": {zero, at}}
			for _, other := range []runtime.Object{fill(t, m, gvk, f), refill(a, f, int(seed))} {
				if other == nil {
					continue
				}
				if ot, err := m.toTyped(pt, gvk, other); err == nil {
					pairs["unrelated"], pairs["changed"] = [2]*typed.TypedValue{at, ot}, [2]*typed.TypedValue{ot, at}
				}
			}
			for name, p := range pairs {
				got, err := addedOrChanged(p[0], p[1])
				if errors.Is(err, errUnhandled) {
					continue
				}
				want, werr := smdAddedOrChanged(p[0], p[1])
				if err != nil || werr != nil {
					t.Fatalf("%s seed %d %s: fast error %v, compare error %v", gvk, seed, name, err, werr)
				}
				if !got.Equals(want) {
					t.Fatalf("%s seed %d %s:\nfast:\n%s\ncompare:\n%s", gvk, seed, name, got, want)
				}
				handled[gvk]++
			}
		}
	}
	// The kinds the API server creates most must take the fast path.
	for _, gvk := range []schema.GroupVersionKind{podGVK, deployGVK, cmGVK, corev1.SchemeGroupVersion.WithKind("Service")} {
		if handled[gvk] < 20 {
			t.Errorf("%s: only %d comparisons took the fast path", gvk, handled[gvk])
		}
	}
	total := 0
	for _, n := range handled {
		total += n
	}
	t.Logf("%d kinds, %d comparisons checked", len(kinds), total)
}

// Identities remembered by keyOf are what parsing the key yields.
func TestKeyOfRemembersIdentity(t *testing.T) {
	tests := []metav1.ManagedFieldsEntry{
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1"},
		{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", Subresource: "status"},
		{Manager: "a<b>&c\u2028", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1"},
		{Manager: "bad\xffutf8", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1"},
	}
	for _, e := range tests {
		mf := newManaged()
		key, err := mf.keyOf(e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := identity(key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := mf.identityOf(key)
		if err != nil || got != want {
			t.Errorf("%q: identityOf = %+v, %v; want %+v", e.Manager, got, err, want)
		}
	}
}

// toTyped leaves managedFields out without changing the object it reads
// (a stored object may be shared), and reads the rest as the full
// unstructured conversion does.
func TestToTypedDropsManagedFieldsOfACopy(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	created, err := m.Update(ctx, podGVK, nil, benchPod(0), "creator", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		obj  runtime.Object
	}{{"with managedFields", created}, {"without", benchPod(1)}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.obj.DeepCopyObject()
			pt, _ := m.typeOf(podGVK)
			got, err := m.toTyped(pt, podGVK, tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(before, tc.obj) {
				t.Fatal("toTyped changed the object it read")
			}
			full, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			full["apiVersion"], full["kind"] = "v1", "Pod"
			delete(full["metadata"].(map[string]interface{}), "managedFields")
			if !reflect.DeepEqual(got.AsValue().Unstructured(), full) {
				t.Fatalf("toTyped read\n%v\nwant\n%v", got.AsValue().Unstructured(), full)
			}
		})
	}
	if len(managedOf(t, created)) != 1 {
		t.Fatalf("created pod has %d managedFields entries, want 1", len(managedOf(t, created)))
	}
}

// mergeKinds lists the kinds of the scheme that have an object schema.
func mergeKinds(t *testing.T, m *Manager) []schema.GroupVersionKind {
	t.Helper()
	kinds := make([]schema.GroupVersionKind, 0)
	for gvk := range m.scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		pt, err := m.typeOf(gvk)
		if err != nil {
			continue
		}
		if _, err := m.zeroOf(pt, gvk); err == nil { // options and events have no object schema
			kinds = append(kinds, gvk)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].String() < kinds[j].String() })
	if len(kinds) < 20 {
		t.Fatalf("only %d kinds have a merge schema", len(kinds))
	}
	return kinds
}

// clearManaged drops the managedFields random filling gave obj.
func clearManaged(obj runtime.Object) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	acc.SetManagedFields(nil)
	return nil
}
