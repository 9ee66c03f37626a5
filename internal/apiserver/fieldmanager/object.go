package fieldmanager

import (
	"fmt"

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
	if obj == nil {
		zero, err := m.scheme.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("new %s: %w", gvk, err)
		}
		obj = zero
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("convert %s to unstructured: %w", gvk, err)
	}
	u["apiVersion"], u["kind"] = gvk.GroupVersion().String(), gvk.Kind
	if md, ok := u["metadata"].(map[string]interface{}); ok {
		delete(md, "managedFields")
	}
	tv, err := pt.FromUnstructured(u, typed.AllowDuplicates)
	if err != nil {
		return nil, fmt.Errorf("read %s as merge value: %w", gvk, err)
	}
	return tv, nil
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
