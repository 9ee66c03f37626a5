package fieldmanager

import (
	"encoding/json"
	"reflect"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// convertByAddr returns how an addressable value of custom type t (not a
// pointer) converts without copying it into an interface, as
// structured-merge-diff's TypeReflectCacheEntry.ToUnstructured converts
// it: through its unstructured converter (with an error first, then
// without; value or pointer receiver), else, for IntOrString, as its JSON
// encoding decodes. It returns nil for other types.
func convertByAddr(t reflect.Type) func(reflect.Value) (interface{}, error) {
	pt := reflect.PointerTo(t)
	switch {
	case pt.Implements(reflect.TypeFor[value.UnstructuredConverterWithError]()):
		return func(v reflect.Value) (interface{}, error) {
			return v.Addr().Interface().(value.UnstructuredConverterWithError).ToUnstructuredWithError()
		}
	case pt.Implements(reflect.TypeFor[value.UnstructuredConverter]()):
		return func(v reflect.Value) (interface{}, error) {
			return v.Addr().Interface().(value.UnstructuredConverter).ToUnstructured(), nil
		}
	case t == reflect.TypeFor[intstr.IntOrString]():
		entry := value.TypeReflectEntryOf(t)
		return func(v reflect.Value) (interface{}, error) {
			ios := v.Addr().Interface().(*intstr.IntOrString)
			switch {
			case ios.Type == intstr.Int:
				return int64(ios.IntVal), nil
			case ios.Type == intstr.String && utf8.ValidString(ios.StrVal):
				return ios.StrVal, nil // JSON text of valid UTF-8 decodes to itself
			}
			return entry.ToUnstructured(v)
		}
	}
	return nil
}

// addrSensitive reports whether values of type t might convert differently
// when addressable: t, or a struct field reached without indirection, has
// a custom conversion only through pointer receivers.
func addrSensitive(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t.Kind() == reflect.Pointer || seen[t] {
		return false
	}
	seen[t] = true
	pt := reflect.PointerTo(t)
	for _, it := range []reflect.Type{
		reflect.TypeFor[value.UnstructuredConverterWithError](),
		reflect.TypeFor[value.UnstructuredConverter](),
		reflect.TypeFor[json.Marshaler](),
	} {
		if pt.Implements(it) && !t.Implements(it) {
			return true
		}
	}
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			if addrSensitive(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
