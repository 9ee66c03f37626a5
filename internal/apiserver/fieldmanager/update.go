package fieldmanager

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// currentOperation is the temporary manager key an update is computed
// under before it is merged into the manager's entry; it is not JSON, so it
// cannot collide with a real manager key.
const currentOperation = "current-operation"

// unknownManager names writes that did not say who they are.
const unknownManager = "unknown"

// Update records manager's ownership of what changed from cur to next (cur
// nil on create) in next's metadata.managedFields, in place, and returns
// next. subresource is "" or "status".
//
// As upstream: managedFields sent by the client replace the stored ones
// (not on subresources); a non-nil empty list (or one empty entry) clears
// them, and an existing object without managedFields stays untracked until
// its next apply. Unparsable managedFields in next fall back to cur's.
func (m *Manager) Update(ctx context.Context, gvk schema.GroupVersionKind, cur, next runtime.Object, manager, subresource string) (runtime.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if next == nil {
		return nil, fmt.Errorf("update %s: nil object", gvk)
	}
	mf, err := managedForUpdate(cur, next, subresource)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", gvk, err)
	}
	if len(mf.fields) == 0 && cur != nil {
		if err := storeManaged(next, mf); err != nil {
			return nil, fmt.Errorf("update %s: %w", gvk, err)
		}
		return next, nil
	}
	pt, err := m.typeOf(gvk)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", gvk, err)
	}
	live, err := m.liveOrZero(pt, gvk, cur)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", gvk, err)
	}
	nv, err := m.toTyped(pt, gvk, next)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", gvk, err)
	}
	if mf, err = m.recordUpdate(gvk, subresource, live, nv, mf, manager); err != nil {
		return nil, fmt.Errorf("update %s: %w", gvk, err)
	}
	if err := storeManaged(next, m.capUpdaters(mf)); err != nil {
		return nil, fmt.Errorf("update %s: %w", gvk, err)
	}
	return next, nil
}

// managedForUpdate picks the managed fields an update starts from.
func managedForUpdate(cur, next runtime.Object, subresource string) (managed, error) {
	curEntries, err := managedFieldsOf(cur)
	if err != nil {
		return managed{}, err
	}
	fromCur := func() managed {
		mf, err := decodeManaged(curEntries)
		if err != nil {
			return newManaged()
		}
		return mf
	}
	if subresource != "" {
		return fromCur(), nil
	}
	acc, err := meta.Accessor(next)
	if err != nil {
		return managed{}, fmt.Errorf("object metadata: %w", err)
	}
	nextEntries := acc.GetManagedFields()
	if isReset(nextEntries) {
		return newManaged(), nil
	}
	mf, err := decodeManaged(nextEntries)
	if err != nil || len(mf.fields) == 0 {
		return fromCur(), nil
	}
	return mf, nil
}

// recordUpdate adds to manager's Update entry the fields that changed from
// live to next, taking them from their previous owners, and stamps the
// entry's time when anything changed.
func (m *Manager) recordUpdate(gvk schema.GroupVersionKind, subresource string, live, next *typed.TypedValue, mf managed, manager string) (managed, error) {
	if manager == "" {
		manager = unknownManager
	}
	gv := gvk.GroupVersion().String()
	key, err := managerKey(metav1.ManagedFieldsEntry{
		Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: gv, Subresource: subresource,
	})
	if err != nil {
		return managed{}, err
	}
	_, fields, err := m.updater(gvk, subresource).Update(live, next, fieldpath.APIVersion(gv), mf.fields, currentOperation)
	if err != nil {
		return managed{}, fmt.Errorf("compute managed fields: %w", err)
	}
	if vs, ok := fields[currentOperation]; ok {
		delete(fields, currentOperation)
		set := vs.Set()
		if prev, ok := fields[key]; ok {
			set = set.Union(prev.Set())
		}
		fields[key] = fieldpath.NewVersionedSet(set, vs.APIVersion(), false)
		now := metav1.NewTime(m.clock.Now().UTC())
		mf.times[key] = &now
	}
	mf.fields = fields
	return mf, nil
}
