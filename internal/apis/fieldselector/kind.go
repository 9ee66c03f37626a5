package fieldselector

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
)

// typeKind is the Go type name of obj (Kind for the typed k8s.io/api structs),
// used when the object's TypeMeta is empty, as it is for decoded objects.
func typeKind(obj runtime.Object) string {
	t := reflect.TypeOf(obj)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return t.Name()
}
