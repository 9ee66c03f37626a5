package fieldmanager

import (
	"sigs.k8s.io/structured-merge-diff/v6/schema"
)

// conforms reports whether v, unstructured data, is a value of type tr in
// s as structured-merge-diff's validation (with duplicates allowed) checks
// it: scalars of the declared kind or null, lists and maps or null, keyed
// items of associative lists with their keys, no field a struct does not
// declare. It walks plain Go values, which costs a fraction of building
// and validating a merge value. It may say no to a value that validation
// accepts (anything that is not JSON data, types it cannot resolve), never
// the reverse: callers then take the validating path.
func conforms(s *schema.Schema, tr schema.TypeRef, v interface{}) bool {
	c := conformer{schema: s}
	return c.value(tr, v)
}

type conformer struct{ schema *schema.Schema }

func (c conformer) value(tr schema.TypeRef, v interface{}) bool {
	a, ok := c.schema.Resolve(tr)
	if !ok {
		return false
	}
	a, err := deduce(a, side{v, true})
	if err != nil {
		return false
	}
	switch {
	case a.Map != nil:
		return c.mapValue(a.Map, v)
	case a.Scalar != nil:
		return scalarConforms(*a.Scalar, v)
	case a.List != nil:
		return c.listValue(a.List, v)
	}
	return false
}

func scalarConforms(t schema.Scalar, v interface{}) bool {
	switch v.(type) {
	case nil:
		return true
	case string:
		return t == schema.String || t == schema.Untyped
	case bool:
		return t == schema.Boolean || t == schema.Untyped
	case int64, float64:
		return t == schema.Numeric || t == schema.Untyped
	}
	return false
}

func (c conformer) listValue(t *schema.List, v interface{}) bool {
	if v == nil {
		return true
	}
	items, ok := v.([]interface{})
	if !ok {
		return false
	}
	w := addedWalker{schema: c.schema}
	for _, item := range items {
		if t.ElementRelationship == schema.Associative {
			if _, err := w.itemElement(t, item); err != nil {
				return false
			}
		}
		if !c.value(t.ElementType, item) {
			return false
		}
	}
	return true
}

func (c conformer) mapValue(t *schema.Map, v interface{}) bool {
	if v == nil {
		return true
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return false
	}
	for key, item := range m {
		tr := t.ElementType
		if sf, ok := t.FindField(key); ok {
			tr = sf.Type
		} else if tr == (schema.TypeRef{}) {
			return false
		}
		if !c.value(tr, item) {
			return false
		}
	}
	return true
}
