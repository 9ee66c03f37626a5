package fieldmanager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// fieldsTypeV1 is the only managed-fields encoding the API defines.
const fieldsTypeV1 = "FieldsV1"

// managed is the decoded form of metadata.managedFields: the field set and
// last-change time per manager key (see managerKey).
type managed struct {
	fields fieldpath.ManagedFields
	times  map[string]*metav1.Time
	// ids remembers the identity of keys made by keyOf, so that encoding
	// need not parse them back; keys missing from it are parsed.
	ids map[string]metav1.ManagedFieldsEntry
}

func newManaged() managed {
	return managed{
		fields: fieldpath.ManagedFields{}, times: map[string]*metav1.Time{},
		ids: map[string]metav1.ManagedFieldsEntry{},
	}
}

// keyOf returns managerKey(e) and remembers the identity it stands for,
// unless a field is not valid UTF-8 (then only parsing the key yields what
// JSON made of it).
func (m managed) keyOf(e metav1.ManagedFieldsEntry) (string, error) {
	key, err := managerKey(e)
	if err != nil || m.ids == nil {
		return key, err
	}
	id := metav1.ManagedFieldsEntry{Manager: e.Manager, Operation: e.Operation, Subresource: e.Subresource}
	if e.Operation != metav1.ManagedFieldsOperationApply {
		id.APIVersion = e.APIVersion
	}
	for _, s := range []string{id.Manager, string(id.Operation), id.APIVersion, id.Subresource} {
		if !utf8.ValidString(s) {
			return key, nil
		}
	}
	m.ids[key] = id
	return key, nil
}

// identityOf is identity(key), from memory when keyOf made the key.
func (m managed) identityOf(key string) (metav1.ManagedFieldsEntry, error) {
	if id, ok := m.ids[key]; ok {
		return id, nil
	}
	return identity(key)
}

// managerKey identifies one managedFields entry: the JSON of the entry
// without its fields and time. Appliers are identified without apiVersion so
// that a manager applying another version keeps a single entry; updaters get
// one entry per apiVersion, as upstream.
func managerKey(e metav1.ManagedFieldsEntry) (string, error) {
	id := metav1.ManagedFieldsEntry{Manager: e.Manager, Operation: e.Operation, Subresource: e.Subresource}
	if e.Operation != metav1.ManagedFieldsOperationApply {
		id.APIVersion = e.APIVersion
	}
	b, err := json.Marshal(&id)
	if err != nil {
		return "", fmt.Errorf("encode manager identity of %q: %w", e.Manager, err)
	}
	return string(b), nil
}

// identity decodes a manager key back into the entry it was built from.
func identity(key string) (metav1.ManagedFieldsEntry, error) {
	var e metav1.ManagedFieldsEntry
	if err := json.Unmarshal([]byte(key), &e); err != nil {
		return e, fmt.Errorf("decode manager identity %q: %w", key, err)
	}
	return e, nil
}

// decodeManaged parses metadata.managedFields. An entry that is not
// FieldsV1, has unparsable fields or repeats a manager identity is an error.
func decodeManaged(entries []metav1.ManagedFieldsEntry) (managed, error) {
	m := newManaged()
	for i, e := range entries {
		if e.FieldsType != fieldsTypeV1 {
			return managed{}, fmt.Errorf("managedFields[%d]: fieldsType %q is not %s", i, e.FieldsType, fieldsTypeV1)
		}
		if e.FieldsV1 == nil {
			return managed{}, fmt.Errorf("managedFields[%d]: fieldsV1 is empty", i)
		}
		key, err := m.keyOf(e)
		if err != nil {
			return managed{}, fmt.Errorf("managedFields[%d]: %w", i, err)
		}
		if _, dup := m.fields[key]; dup {
			return managed{}, fmt.Errorf("managedFields[%d]: duplicate entry for manager %q", i, e.Manager)
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.Raw)); err != nil {
			return managed{}, fmt.Errorf("managedFields[%d]: parse fieldsV1: %w", i, err)
		}
		applied := e.Operation == metav1.ManagedFieldsOperationApply
		m.fields[key] = fieldpath.NewVersionedSet(set, fieldpath.APIVersion(e.APIVersion), applied)
		m.times[key] = e.Time
	}
	return m, nil
}

// encodeManaged renders m as metadata.managedFields, sorted as upstream
// (operation, time, manager, apiVersion, subresource). It returns nil when
// no manager owns anything.
func encodeManaged(m managed) ([]metav1.ManagedFieldsEntry, error) {
	if len(m.fields) == 0 {
		return nil, nil
	}
	out := make([]metav1.ManagedFieldsEntry, 0, len(m.fields))
	for key, vs := range m.fields {
		e, err := m.identityOf(key)
		if err != nil {
			return nil, err
		}
		raw, err := vs.Set().ToJSON()
		if err != nil {
			return nil, fmt.Errorf("encode fields of manager %q: %w", e.Manager, err)
		}
		e.APIVersion = string(vs.APIVersion())
		e.FieldsType = fieldsTypeV1
		e.FieldsV1 = &metav1.FieldsV1{Raw: raw}
		e.Time = m.times[key]
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return entryLess(out[i], out[j]) })
	return out, nil
}

func entryLess(p, q metav1.ManagedFieldsEntry) bool {
	if p.Operation != q.Operation {
		return p.Operation < q.Operation
	}
	if ps, qs := unixOf(p.Time), unixOf(q.Time); ps != qs {
		return ps < qs
	}
	if p.Manager != q.Manager {
		return p.Manager < q.Manager
	}
	if p.APIVersion != q.APIVersion {
		return p.APIVersion < q.APIVersion
	}
	return p.Subresource < q.Subresource
}

func unixOf(t *metav1.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

// isReset reports whether a client asked to clear managedFields: a non-nil
// empty list, or a list of one empty entry.
func isReset(entries []metav1.ManagedFieldsEntry) bool {
	switch len(entries) {
	case 0:
		return entries != nil
	case 1:
		e := entries[0]
		return e.Manager == "" && e.Operation == "" && e.APIVersion == "" && e.Time == nil &&
			e.FieldsType == "" && e.FieldsV1 == nil && e.Subresource == ""
	}
	return false
}
