package history

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Claim is what a controller does with an object its selector may cover.
type Claim int

const (
	// Ignore: the object is not ours and must not be touched.
	Ignore Claim = iota
	// Keep: the object is ours and still matches.
	Keep
	// Adopt: the object is an orphan that matches; add our controller ref.
	Adopt
	// Release: the object is ours but no longer matches; drop our ref.
	Release
)

// Decide applies the upstream controller-ref rules to obj for owner with
// selector sel. Adopt is only a proposal: the caller must check with a live
// read that the owner still exists and is not being deleted.
func Decide(owner, obj metav1.Object, sel labels.Selector) Claim {
	match := sel.Matches(labels.Set(obj.GetLabels()))
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		switch {
		case ref.UID != owner.GetUID():
			return Ignore
		case match:
			return Keep
		case owner.GetDeletionTimestamp() != nil:
			return Ignore
		default:
			return Release
		}
	}
	if !match || owner.GetDeletionTimestamp() != nil || obj.GetDeletionTimestamp() != nil {
		return Ignore
	}
	return Adopt
}

// AdoptPatch is the strategic merge patch that makes owner (kind gvk) the
// controller of the object with uid objUID; the uid makes it fail if the
// object was replaced meanwhile.
func AdoptPatch(owner metav1.Object, gvk schema.GroupVersionKind, objUID types.UID) ([]byte, error) {
	p := map[string]any{"metadata": map[string]any{
		"ownerReferences": []metav1.OwnerReference{*metav1.NewControllerRef(owner, gvk)},
		"uid":             objUID,
	}}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode adopt patch: %w", err)
	}
	return out, nil
}

// ReleasePatch is the strategic merge patch that removes the owner
// reference with ownerUID from the object with uid objUID.
func ReleasePatch(ownerUID, objUID types.UID) ([]byte, error) {
	p := map[string]any{"metadata": map[string]any{
		"ownerReferences": []map[string]any{{"$patch": "delete", "uid": ownerUID}},
		"uid":             objUID,
	}}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode release patch: %w", err)
	}
	return out, nil
}
