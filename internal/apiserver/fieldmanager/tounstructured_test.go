package fieldmanager

import (
	"context"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/randfill"

	"github.com/capstan/capstan/internal/apis"
)

// allKinds lists every kind of the scheme (lists and options included),
// sorted, without internal versions.
func allKinds(m *Manager) []schema.GroupVersionKind {
	kinds := []schema.GroupVersionKind{}
	for gvk := range m.scheme.AllKnownTypes() {
		if gvk.Version != runtime.APIVersionInternal {
			kinds = append(kinds, gvk)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].String() < kinds[j].String() })
	return kinds
}

// fillers are the random fillers the equivalence tests use: few distinct
// values with many nil and empty maps and slices, and randfill's defaults
// (any string, number and time).
func fillers(seed int64) []*randfill.Filler {
	return []*randfill.Filler{
		filler(seed).Funcs(fillRaw),
		randfill.New().RandSource(rand.NewSource(seed)).NilChance(0.2).NumElements(0, 2).MaxDepth(10).Funcs(fillRaw),
	}
}

// fillRaw fills embedded objects with raw JSON (randfill cannot fill the
// runtime.Object interface they also hold).
func fillRaw(r *runtime.RawExtension, c randfill.Continue) {
	docs := []string{"", "null", `{"a":1,"b":[1.5,"x",null]}`, `"text"`, "12"}
	if d := docs[c.Intn(len(docs))]; d != "" {
		r.Raw = []byte(d)
	}
}

// assertConvertsAsRuntime fails unless toUnstructured(obj) is, under
// reflect.DeepEqual, what the runtime's converter returns, errors included.
func assertConvertsAsRuntime(t *testing.T, m *Manager, name string, obj runtime.Object) {
	t.Helper()
	want, werr := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	got, err := m.toUnstructured(obj)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%s: error %v, runtime's converter: %v", name, err, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: converted to\n%#v\nruntime's converter:\n%#v", name, got, want)
	}
}

// For every kind of the scheme, on random objects, toUnstructured returns
// exactly what runtime's converter returns: same maps, slices, nils,
// empties and number types.
func TestToUnstructuredMatchesRuntimeConverter(t *testing.T) {
	m := testManager(t)
	planned := 0
	for _, gvk := range allKinds(m) {
		for seed := int64(0); seed < 12; seed++ {
			for i, f := range fillers(seed) {
				obj := fill(t, m, gvk, f)
				if obj == nil {
					break
				}
				assertConvertsAsRuntime(t, m, gvk.String()+" filler "+string(rune('0'+i)), obj)
			}
		}
		if m.convs.plans[typeOfKind(t, m, gvk)] != nil {
			planned++
		}
	}
	// The kinds the API server writes most must follow a plan.
	for _, gvk := range []schema.GroupVersionKind{podGVK, deployGVK, cmGVK, corev1.SchemeGroupVersion.WithKind("Service")} {
		if m.convs.plans[typeOfKind(t, m, gvk)] == nil {
			t.Errorf("%s converts through the runtime converter, want a plan", gvk)
		}
	}
	t.Logf("%d kinds, %d with a plan", len(allKinds(m)), planned)
}

func typeOfKind(t *testing.T, m *Manager, gvk schema.GroupVersionKind) reflect.Type {
	t.Helper()
	obj, err := m.scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	return reflect.TypeOf(obj).Elem()
}

// odd is a type with the shapes plans treat specially.
type odd struct {
	metav1.TypeMeta `json:",inline"`
	*Inner          `json:",inline"`
	Named           string `json:"named,omitempty"`
	Untagged        int8
	Skipped         string                         `json:"-"`
	Bytes           []byte                         `json:"bytes"`
	Unsigned        uint64                         `json:"unsigned"`
	Float           float32                        `json:"float"`
	Zero            metav1.Time                    `json:"zero,omitzero"`
	Time            metav1.Time                    `json:"time"`
	Keys            map[kindName]bool              `json:"keys"`
	Ptrs            []*int32                       `json:"ptrs"`
	Nested          map[string][]odd               `json:"nested,omitempty"`
	Empty           struct{}                       `json:"empty,omitempty"`
	Port            intstr.IntOrString             `json:"port"`
	Ports           map[string]intstr.IntOrString  `json:"ports"`
	PtrOnly         ptrOnly                        `json:"ptrOnly"`
	PtrOnlyMap      map[string]ptrOnly             `json:"ptrOnlyMap"`
	WrappedMap      map[string]struct{ P ptrOnly } `json:"wrappedMap"`
}

// ptrOnly converts itself through a pointer receiver only: runtime's
// converter cannot convert it where it is not addressable (map values).
type ptrOnly struct {
	N int64 `json:"n"`
}

func (p *ptrOnly) ToUnstructured() interface{} { return p.N + 100 }

func (p *ptrOnly) MarshalJSON() ([]byte, error) { return []byte(`"json"`), nil }

type kindName string

// Inner is embedded by pointer into odd.
type Inner struct {
	InnerName string `json:"innerName"`
}

func (o *odd) DeepCopyObject() runtime.Object { return o }

// withIface has an interface field: it converts through the runtime.
type withIface struct {
	metav1.TypeMeta `json:",inline"`
	Any             interface{} `json:"any"`
}

func (o *withIface) DeepCopyObject() runtime.Object { return o }

func TestToUnstructuredOddShapes(t *testing.T) {
	m := testManager(t)
	one := int32(1)
	tests := []struct {
		name string
		obj  runtime.Object
	}{
		{"zero", &odd{}},
		{"nil and empty", &odd{Bytes: []byte{}, Keys: map[kindName]bool{}, Ptrs: []*int32{}, Nested: map[string][]odd{}}},
		{"full", &odd{TypeMeta: metav1.TypeMeta{Kind: "Odd"}, Inner: &Inner{InnerName: "in"}, Named: "n", Untagged: -3,
			Skipped: "s", Bytes: []byte("\x00\xffdata"), Unsigned: 7, Float: 1.5, Zero: metav1.Unix(5, 0),
			Time: metav1.Unix(10, 0), Keys: map[kindName]bool{"a": true}, Ptrs: []*int32{nil, &one},
			Nested: map[string][]odd{"x": {{Named: "deep"}}, "nil": nil}}},
		{"unsigned overflow", &odd{Unsigned: math.MaxUint64}},
		{"int or string", &odd{Port: intstr.FromInt32(-8), Ports: map[string]intstr.IntOrString{
			"int": intstr.FromInt32(80), "str": intstr.FromString("<a&b>\u2028"), "empty": {Type: intstr.String}}}},
		{"int or string, invalid UTF-8", &odd{Port: intstr.FromString("bad\xffutf8"),
			Ports: map[string]intstr.IntOrString{"bad": intstr.FromString("\xfe")}}},
		{"int or string, bad type", &odd{Port: intstr.IntOrString{Type: 7}}},
		{"int or string, bad type in map", &odd{Ports: map[string]intstr.IntOrString{"x": {Type: 7}}}},
		{"pointer receiver in a field", &odd{PtrOnly: ptrOnly{N: 3}}},
		{"pointer receiver in a map value", &odd{PtrOnlyMap: map[string]ptrOnly{"a": {N: 1}}}},
		{"pointer receiver in a map value's field", &odd{WrappedMap: map[string]struct{ P ptrOnly }{"a": {}}}},
		{"interface field", &withIface{Any: map[string]interface{}{"a": int64(1)}}},
		{"nil interface field", &withIface{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assertConvertsAsRuntime(t, m, tc.name, tc.obj) })
	}
	if p := m.convs.plans[reflect.TypeOf(odd{})]; p == nil {
		t.Error("odd converts through the runtime converter, want a plan")
	}
	if p, ok := m.convs.plans[reflect.TypeOf(withIface{})]; !ok || p != nil {
		t.Error("a type with an interface field has a plan, want the runtime converter")
	}
}

// runtimeManager is a Manager whose conversions all go through runtime's
// converter: every kind's plan is recorded as missing.
func runtimeManager(t *testing.T, kinds []schema.GroupVersionKind) *Manager {
	t.Helper()
	s, err := apis.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := New(s, WithClock(clocktesting.NewFakePassiveClock(testNow)))
	if err != nil {
		t.Fatal(err)
	}
	ref.convs.plans = map[reflect.Type]*convPlan{}
	for _, gvk := range kinds {
		ref.convs.plans[typeOfKind(t, ref, gvk)] = nil
	}
	return ref
}

// Creates and updates of random objects of every kind with a merge schema
// record byte-identical managedFields whichever converter reads them.
func TestManagedFieldsIndependentOfConverter(t *testing.T) {
	m := testManager(t)
	kinds := mergeKinds(t, m)
	ref := runtimeManager(t, kinds)
	for _, gvk := range kinds {
		for seed := int64(0); seed < 8; seed++ {
			f := filler(seed).Funcs(fillRaw)
			a, b := fill(t, m, gvk, f), fill(t, m, gvk, f)
			if a == nil || b == nil {
				break
			}
			if clearManaged(a) != nil || clearManaged(b) != nil {
				continue
			}
			gotA, wantA, ok := updateBoth(t, m, ref, gvk, nil, nil, a)
			if ok {
				updateBoth(t, m, ref, gvk, gotA, wantA, b)
			}
		}
	}
}

// updateBoth records the same write with m and ref (from curM and curRef,
// nil on create) and fails unless both record the same managedFields. ok
// is false when both refuse the write.
func updateBoth(t *testing.T, m, ref *Manager, gvk schema.GroupVersionKind, curM, curRef, next runtime.Object) (gotM, gotRef runtime.Object, ok bool) {
	t.Helper()
	ctx := context.Background()
	got, err := m.Update(ctx, gvk, curM, next.DeepCopyObject(), "writer", "")
	want, werr := ref.Update(ctx, gvk, curRef, next.DeepCopyObject(), "writer", "")
	if (err != nil) != (werr != nil) {
		t.Fatalf("%s: error %v, with runtime's converter %v", gvk, err, werr)
	}
	if err != nil {
		return nil, nil, false
	}
	if g, w := managedOf(t, got), managedOf(t, want); !equality.Semantic.DeepEqual(g, w) || len(g) == 0 {
		t.Fatalf("%s: managedFields\n%s\nwith runtime's converter\n%s", gvk, entriesString(g), entriesString(w))
	}
	return got, want, true
}

func entriesString(es []metav1.ManagedFieldsEntry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Manager + " " + string(e.Operation) + " ")
		if e.FieldsV1 != nil {
			b.Write(e.FieldsV1.Raw)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// BenchmarkToUnstructured converts a created pod as runtime's converter
// does and as toUnstructured does.
func BenchmarkToUnstructured(b *testing.B) {
	m := testManager(b)
	pod := benchPod(0)
	cases := []struct {
		name    string
		convert func(runtime.Object) (map[string]interface{}, error)
	}{
		{"runtime", func(o runtime.Object) (map[string]interface{}, error) {
			return runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		}},
		{"plan", m.toUnstructured},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.convert(pod); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
