package fieldmanager

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// toTyped reads obj (a typed object of kind gvk, nil for its zero value) as
// a merge value. metadata.managedFields is left out: it is bookkeeping, not
// content, and is re-encoded by the caller.
func (m *Manager) toTyped(pt typed.ParseableType, gvk schema.GroupVersionKind, obj runtime.Object) (*typed.TypedValue, error) {
	u, err := m.unstructuredOf(gvk, obj)
	if err != nil {
		return nil, err
	}
	tv, err := pt.FromUnstructured(u, typed.AllowDuplicates)
	if err != nil {
		return nil, fmt.Errorf("read %s as merge value: %w", gvk, err)
	}
	return tv, nil
}

// unstructuredOf is the content toTyped reads obj as: its unstructured
// form with apiVersion and kind set and without metadata.managedFields.
func (m *Manager) unstructuredOf(gvk schema.GroupVersionKind, obj runtime.Object) (map[string]interface{}, error) {
	if obj == nil {
		zero, err := m.scheme.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("new %s: %w", gvk, err)
		}
		obj = zero
	}
	obj, err := withoutManagedFields(obj)
	if err != nil {
		return nil, fmt.Errorf("convert %s to unstructured: %w", gvk, err)
	}
	u, err := m.toUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("convert %s to unstructured: %w", gvk, err)
	}
	u["apiVersion"], u["kind"] = gvk.GroupVersion().String(), gvk.Kind
	if md, ok := u["metadata"].(map[string]interface{}); ok {
		delete(md, "managedFields")
	}
	return u, nil
}

// withoutManagedFields returns obj, or when it has managedFields a shallow
// copy without them: converting them to unstructured data (their fieldsV1
// is decoded as JSON) would cost more than the rest of the object, only to
// be dropped. obj itself is never changed; it may be shared (a stored
// object). Unstructured objects and objects without ObjectMeta are returned
// as they are: a shallow copy would share the former's content.
func withoutManagedFields(obj runtime.Object) (runtime.Object, error) {
	if _, ok := obj.(runtime.Unstructured); ok {
		return obj, nil
	}
	acc, err := meta.Accessor(obj)
	if err != nil || len(acc.GetManagedFields()) == 0 {
		return obj, nil
	}
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return obj, nil
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	out, ok := cp.Interface().(runtime.Object)
	if !ok {
		return obj, nil
	}
	outAcc, err := meta.Accessor(out)
	if err != nil {
		return nil, fmt.Errorf("object metadata: %w", err)
	}
	outAcc.SetManagedFields(nil)
	return out, nil
}

// fromTyped builds a typed object of kind gvk from a merge value.
func (m *Manager) fromTyped(tv *typed.TypedValue, gvk schema.GroupVersionKind) (runtime.Object, error) {
	u, ok := tv.AsValue().Unstructured().(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("merged %s is not an object", gvk)
	}
	obj, err := m.scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("new %s: %w", gvk, err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, obj); err != nil {
		return nil, fmt.Errorf("convert merged %s: %w", gvk, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

// storeManaged encodes mf into obj's metadata.managedFields.
func storeManaged(obj runtime.Object, mf managed) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return fmt.Errorf("object metadata: %w", err)
	}
	entries, err := encodeManaged(mf)
	if err != nil {
		return err
	}
	acc.SetManagedFields(entries)
	return nil
}

// managedFieldsOf returns obj's metadata.managedFields (nil for nil obj).
func managedFieldsOf(obj runtime.Object) ([]metav1.ManagedFieldsEntry, error) {
	if obj == nil {
		return nil, nil
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("object metadata: %w", err)
	}
	return acc.GetManagedFields(), nil
}
