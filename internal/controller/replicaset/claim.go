package replicaset

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// ClaimAction is what a controller does with an object its selector may
// cover, as upstream's ControllerRefManager decides it.
type ClaimAction int

const (
	// ClaimIgnore: the object is not the owner's (another controller owns it,
	// or it does not match, or one side is being deleted).
	ClaimIgnore ClaimAction = iota
	// ClaimKeep: the owner controls the object and it still matches.
	ClaimKeep
	// ClaimAdopt: an orphan that matches; set the owner as its controller.
	ClaimAdopt
	// ClaimRelease: owned but no longer matching; remove the owner reference.
	ClaimRelease
)

// DecideClaim decides what owner does with obj given owner's selector.
func DecideClaim(owner metav1.Object, sel labels.Selector, obj metav1.Object) ClaimAction {
	matches := sel.Matches(labels.Set(obj.GetLabels()))
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		switch {
		case ref.UID != owner.GetUID():
			return ClaimIgnore
		case matches:
			return ClaimKeep
		case owner.GetDeletionTimestamp() != nil:
			return ClaimIgnore
		}
		return ClaimRelease
	}
	if !matches || owner.GetDeletionTimestamp() != nil || obj.GetDeletionTimestamp() != nil {
		return ClaimIgnore
	}
	return ClaimAdopt
}

// ControllerRef is the owner reference a controller puts on what it
// creates or adopts: controller=true, blockOwnerDeletion=true.
func ControllerRef(owner metav1.Object, gvk schema.GroupVersionKind) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{
		APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind,
		Name: owner.GetName(), UID: owner.GetUID(),
		Controller: &t, BlockOwnerDeletion: &t,
	}
}

type refsPatch struct {
	Metadata refsPatchMeta `json:"metadata"`
}

type refsPatchMeta struct {
	OwnerReferences []metav1.OwnerReference `json:"ownerReferences"`
	UID             types.UID               `json:"uid"`
	ResourceVersion string                  `json:"resourceVersion"`
}

// AdoptPatch is a JSON merge patch making owner the controller of obj. It
// carries obj's UID and resourceVersion as preconditions, so it fails with
// a conflict rather than overwrite a concurrent change of the references.
func AdoptPatch(owner metav1.Object, gvk schema.GroupVersionKind, obj metav1.Object) ([]byte, error) {
	refs := without(obj.GetOwnerReferences(), owner.GetUID())
	refs = append(refs, ControllerRef(owner, gvk))
	return refsPatchFor(obj, refs)
}

// ReleasePatch is a JSON merge patch removing owner's reference from obj.
func ReleasePatch(owner metav1.Object, obj metav1.Object) ([]byte, error) {
	return refsPatchFor(obj, without(obj.GetOwnerReferences(), owner.GetUID()))
}

func refsPatchFor(obj metav1.Object, refs []metav1.OwnerReference) ([]byte, error) {
	b, err := json.Marshal(refsPatch{Metadata: refsPatchMeta{OwnerReferences: refs, UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion()}})
	if err != nil {
		return nil, fmt.Errorf("encode owner references patch: %w", err)
	}
	return b, nil
}

func without(refs []metav1.OwnerReference, uid types.UID) []metav1.OwnerReference {
	var out []metav1.OwnerReference
	for _, r := range refs {
		if r.UID != uid {
			out = append(out, r)
		}
	}
	return out
}
