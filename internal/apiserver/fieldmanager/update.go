package fieldmanager

import (
	"context"
	"errors"
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
	fields, ok := m.quickFirstUpdate(pt, gvk, subresource, live, next, mf)
	if !ok {
		nv, err := m.toTyped(pt, gvk, next)
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", gvk, err)
		}
		if fields, err = m.updateFields(gvk, subresource, live, nv, mf); err != nil {
			return nil, fmt.Errorf("update %s: %w", gvk, err)
		}
	}
	if mf, err = m.recordFields(gvk, subresource, mf, manager, fields); err != nil {
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
	fields, err := m.updateFields(gvk, subresource, live, next, mf)
	if err != nil {
		return managed{}, err
	}
	return m.recordFields(gvk, subresource, mf, manager, fields)
}

// updateFields is the merge updater's result for an update from live to
// next: every manager's fields, the writer's under currentOperation.
func (m *Manager) updateFields(gvk schema.GroupVersionKind, subresource string, live, next *typed.TypedValue, mf managed) (fieldpath.ManagedFields, error) {
	version := fieldpath.APIVersion(gvk.GroupVersion().String())
	if len(mf.fields) == 0 {
		fields, err := m.firstUpdate(subresource, live, next, version)
		if err != nil {
			return nil, fmt.Errorf("compute managed fields: %w", err)
		}
		return fields, nil
	}
	_, fields, err := m.updater(gvk, subresource).Update(live, next, version, mf.fields, currentOperation)
	if err != nil {
		return nil, fmt.Errorf("compute managed fields: %w", err)
	}
	return fields, nil
}

// recordFields moves the writer's fields (under currentOperation) into
// manager's Update entry and stamps its time when it owns anything new.
func (m *Manager) recordFields(gvk schema.GroupVersionKind, subresource string, mf managed, manager string, fields fieldpath.ManagedFields) (managed, error) {
	if manager == "" {
		manager = unknownManager
	}
	gv := gvk.GroupVersion().String()
	key, err := mf.keyOf(metav1.ManagedFieldsEntry{
		Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: gv, Subresource: subresource,
	})
	if err != nil {
		return managed{}, err
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

// firstUpdate is what the merge updater computes for an update of an
// object no manager owns anything of (a create, or the first tracking of an
// untracked object): with no previous owners to take fields from or to
// reconcile, the writer owns exactly what it added or changed, less what the
// endpoint does not let anyone own. It skips the updater's per-manager
// bookkeeping and its filtering of every comparison set.
func (m *Manager) firstUpdate(subresource string, live, next *typed.TypedValue, version fieldpath.APIVersion) (fieldpath.ManagedFields, error) {
	changed, err := addedOrChanged(live, next)
	if errors.Is(err, errUnhandled) {
		cmp, err := live.Compare(next)
		if err != nil {
			return nil, fmt.Errorf("failed to compare objects: %v", err)
		}
		changed = cmp.Modified.Union(cmp.Added)
	} else if err != nil {
		return nil, err
	}
	return m.firstFields(subresource, changed, version), nil
}

// firstFields is the updater's result when the writer is the only owner:
// what it added or changed, less what the endpoint lets no one own.
func (m *Manager) firstFields(subresource string, changed *fieldpath.Set, version fieldpath.APIVersion) fieldpath.ManagedFields {
	set := m.filter(subresource).Filter(changed)
	fields := fieldpath.ManagedFields{}
	if !set.Empty() {
		fields[currentOperation] = fieldpath.NewVersionedSet(set, version, false)
	}
	return fields
}

// quickFirstUpdate is firstUpdate for a create (live is the zero object,
// no manager owns anything) computed on next's unstructured content without
// building a merge value: it applies when that content conforms to the
// schema (see conforms) and the fast comparison handles its shape.
// Otherwise it reports false and the caller takes the general path, which
// also reports any error.
func (m *Manager) quickFirstUpdate(pt typed.ParseableType, gvk schema.GroupVersionKind, subresource string, live *typed.TypedValue, next runtime.Object, mf managed) (fieldpath.ManagedFields, bool) {
	if len(mf.fields) != 0 || live.Schema() != pt.Schema || live.TypeRef() != pt.TypeRef {
		return nil, false
	}
	u, err := m.unstructuredOf(gvk, next)
	if err != nil || !conforms(pt.Schema, pt.TypeRef, u) {
		return nil, false
	}
	changed, err := changedFields(pt.Schema, pt.TypeRef, live.AsValue().Unstructured(), u)
	if err != nil {
		return nil, false
	}
	return m.firstFields(subresource, changed, fieldpath.APIVersion(gvk.GroupVersion().String())), true
}
