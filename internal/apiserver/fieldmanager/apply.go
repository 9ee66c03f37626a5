package fieldmanager

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// beforeFirstApply owns the fields of an untracked object when it is first
// applied to, so that the applier conflicts with them instead of silently
// taking them.
const beforeFirstApply = "before-first-apply"

// Apply applies patch (YAML or JSON of a partial object of kind gvk) as
// manager onto cur (nil: create) and returns the merged object with its
// managedFields set. Errors: apierrors Conflict (409) for conflicts without
// force, BadRequest (400) for a malformed patch, one of another kind, or one
// naming another object than cur. A patch that changes nothing returns a
// copy of cur. Defaulting and validation are the caller's.
func (m *Manager) Apply(ctx context.Context, gvk schema.GroupVersionKind, cur runtime.Object, patch []byte, manager string, force bool) (runtime.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if manager == "" {
		return nil, apierrors.NewBadRequest("PATCH requests with apply patch type require a fieldManager query parameter")
	}
	pt, err := m.typeOf(gvk)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	u, err := decodePatch(patch, gvk, cur)
	if err != nil {
		return nil, err
	}
	cfg, err := pt.FromUnstructured(u)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid apply patch for %s: %v", gvk, err))
	}
	live, err := m.toTyped(pt, gvk, cur)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	mf, err := m.managedForApply(pt, gvk, cur, live)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	key, err := mf.keyOf(metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationApply})
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	version := fieldpath.APIVersion(gvk.GroupVersion().String())
	merged, fields, err := m.updater(gvk, "").Apply(live, cfg, version, mf.fields, key, force)
	if err != nil {
		var conflicts merge.Conflicts
		if errors.As(err, &conflicts) {
			return nil, conflictError(conflicts)
		}
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	mf.fields = fields
	var out runtime.Object
	if merged == nil {
		out, err = m.unchanged(gvk, cur)
	} else {
		out, err = m.fromTyped(merged, gvk)
		now := metav1.NewTime(m.clock.Now().UTC())
		mf.times[key] = &now
	}
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	if err := storeManaged(out, m.capUpdaters(mf)); err != nil {
		return nil, fmt.Errorf("apply %s: %w", gvk, err)
	}
	return out, nil
}

// managedForApply decodes cur's managed fields. An existing object that is
// not tracked gets its current content attributed to beforeFirstApply.
func (m *Manager) managedForApply(pt typed.ParseableType, gvk schema.GroupVersionKind, cur runtime.Object, live *typed.TypedValue) (managed, error) {
	entries, err := managedFieldsOf(cur)
	if err != nil {
		return managed{}, err
	}
	mf, err := decodeManaged(entries)
	if err != nil {
		return managed{}, fmt.Errorf("stored managed fields: %w", err)
	}
	if len(mf.fields) > 0 || cur == nil {
		return mf, nil
	}
	zero, err := m.zeroOf(pt, gvk)
	if err != nil {
		return managed{}, err
	}
	return m.recordUpdate(gvk, "", zero, live, mf, beforeFirstApply)
}

// unchanged is the object a no-op apply yields: a copy of cur, or the zero
// object on create.
func (m *Manager) unchanged(gvk schema.GroupVersionKind, cur runtime.Object) (runtime.Object, error) {
	if cur != nil {
		return cur.DeepCopyObject(), nil
	}
	obj, err := m.scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("new %s: %w", gvk, err)
	}
	return obj, nil
}

// decodePatch parses an apply patch into an unstructured object and checks
// that it is an object of kind gvk, names cur (when given) and carries no
// managedFields.
func decodePatch(patch []byte, gvk schema.GroupVersionKind, cur runtime.Object) (map[string]interface{}, error) {
	if len(bytes.TrimSpace(patch)) == 0 {
		return nil, apierrors.NewBadRequest("empty apply patch")
	}
	js, err := utilyaml.ToJSON(patch)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	var u map[string]interface{}
	if err := utiljson.Unmarshal(js, &u); err != nil || u == nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("apply patch is not an object: %v", err))
	}
	obj := &metaObject{u: u}
	if v := obj.str("apiVersion"); v != gvk.GroupVersion().String() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf(
			"Incorrect version specified in apply patch. Specified patch version: %s, expected: %s", v, gvk.GroupVersion()))
	}
	if k := obj.str("kind"); k != gvk.Kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("apply patch kind %q does not match %q", k, gvk.Kind))
	}
	md, _ := u["metadata"].(map[string]interface{})
	if _, ok := md["managedFields"]; ok {
		return nil, apierrors.NewBadRequest("metadata.managedFields must be nil")
	}
	if cur != nil {
		acc, err := meta.Accessor(cur)
		if err != nil {
			return nil, fmt.Errorf("apply %s: object metadata: %w", gvk, err)
		}
		if name, _ := md["name"].(string); name != "" && name != acc.GetName() {
			return nil, apierrors.NewBadRequest(fmt.Sprintf(
				"the name of the object (%s) does not match the name on the URL (%s)", name, acc.GetName()))
		}
	}
	return u, nil
}

// metaObject reads string fields of an unstructured object.
type metaObject struct{ u map[string]interface{} }

func (o *metaObject) str(field string) string {
	s, _ := o.u[field].(string)
	return s
}
