package fieldmanager

import (
	"bytes"
	"context"
	"math/rand"
	"testing"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// corrupt replaces one randomly chosen node of u (or adds an undeclared
// field) with a value of another shape.
func corrupt(u map[string]interface{}, r *rand.Rand) {
	replacements := []interface{}{"x", int64(1), 1.5, true, nil, map[string]interface{}{"zz": int64(1)},
		[]interface{}{"a"}, []interface{}{map[string]interface{}{"name": "a"}}, []interface{}{nil}, []interface{}{}}
	var node interface{} = u
	for {
		switch n := node.(type) {
		case map[string]interface{}:
			if len(n) == 0 || r.Intn(4) == 0 {
				n["undeclared"+string(rune('a'+r.Intn(3)))] = replacements[r.Intn(len(replacements))]
				return
			}
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			k := keys[r.Intn(len(keys))]
			if r.Intn(3) == 0 {
				n[k] = replacements[r.Intn(len(replacements))]
				return
			}
			node = n[k]
		case []interface{}:
			if len(n) == 0 {
				return
			}
			i := r.Intn(len(n))
			if r.Intn(3) == 0 {
				n[i] = replacements[r.Intn(len(replacements))]
				return
			}
			node = n[i]
		default:
			return
		}
	}
}

// conforms never accepts what validation rejects, and accepts what typed
// objects of the common kinds convert to.
func TestConformsImpliesValid(t *testing.T) {
	m := testManager(t)
	accepted, rejected := 0, 0
	for _, gvk := range mergeKinds(t, m) {
		pt, _ := m.typeOf(gvk)
		for seed := int64(0); seed < 15; seed++ {
			f := filler(seed)
			obj := fill(t, m, gvk, f)
			if obj == nil {
				break
			}
			u, err := m.unstructuredOf(gvk, obj)
			if err != nil {
				continue
			}
			_, verr := pt.FromUnstructured(u, typed.AllowDuplicates)
			if verr == nil && !conforms(pt.Schema, pt.TypeRef, u) && (gvk == podGVK || gvk == deployGVK) {
				t.Errorf("%s seed %d: valid object does not conform", gvk, seed)
			}
			r := rand.New(rand.NewSource(seed))
			for range 5 {
				corrupt(u, r)
				_, verr := pt.FromUnstructured(u, typed.AllowDuplicates)
				ok := conforms(pt.Schema, pt.TypeRef, u)
				if ok && verr != nil {
					t.Fatalf("%s seed %d: conforms accepts what validation rejects: %v", gvk, seed, verr)
				}
				if ok {
					accepted++
				} else if verr != nil {
					rejected++
				}
			}
		}
	}
	if accepted < 100 || rejected < 100 {
		t.Fatalf("corruptions: %d accepted, %d rejected by both; too few to mean anything", accepted, rejected)
	}
}

// A create records exactly the set structured-merge-diff's updater computes
// against the zero object, for random objects of every kind.
func TestCreateMatchesUpdater(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	checked := 0
	for _, gvk := range mergeKinds(t, m) {
		pt, _ := m.typeOf(gvk)
		zero, _ := m.zeroOf(pt, gvk)
		version := fieldpath.APIVersion(gvk.GroupVersion().String())
		for seed := int64(0); seed < 10; seed++ {
			obj := fill(t, m, gvk, filler(seed))
			if obj == nil {
				break
			}
			nv, err := m.toTyped(pt, gvk, obj)
			if err != nil {
				continue
			}
			_, want, err := m.updater(gvk, "").Update(zero, nv, version, fieldpath.ManagedFields{}, currentOperation)
			if err != nil {
				t.Fatalf("%s seed %d: updater: %v", gvk, seed, err)
			}
			if err := clearManaged(obj); err != nil {
				break // not an object with metadata: Update does not track it
			}
			out, err := m.Update(ctx, gvk, nil, obj, "creator", "")
			if err != nil {
				t.Fatalf("%s seed %d: %v", gvk, seed, err)
			}
			entries, err := managedFieldsOf(out)
			if err != nil {
				t.Fatal(err)
			}
			vs, owns := want[currentOperation]
			if !owns {
				if len(entries) != 0 {
					t.Fatalf("%s seed %d: %d entries, updater owns nothing", gvk, seed, len(entries))
				}
				continue
			}
			wantJSON, err := vs.Set().ToJSON()
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || !bytes.Equal(entries[0].FieldsV1.Raw, wantJSON) {
				t.Fatalf("%s seed %d: recorded %v, updater owns %s", gvk, seed, entries, wantJSON)
			}
			checked++
		}
	}
	if checked < 500 {
		t.Fatalf("only %d creates checked", checked)
	}
}
