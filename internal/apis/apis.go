package apis

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Default applies upstream's defaulting (the SetDefaults_* functions and the
// `+default` tags of the v1 types) to obj in place. Unknown types are left
// alone.
func Default(obj runtime.Object) {
	defaultObject(obj)
}

// ValidateCreate validates a new object: its ObjectMeta (name or
// generateName with the kind's name rules, namespace presence per
// namespaced, labels, annotations, ownerReferences, finalizers) and, for the
// kinds this package knows, its spec. The name must already be generated.
func ValidateCreate(obj runtime.Object, namespaced bool) field.ErrorList {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), fmt.Errorf("validate %T: %w", obj, err))}
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaAccessor(accessor, namespaced, nameValidator(obj), field.NewPath("metadata"))
	return append(allErrs, validateObjectCreate(obj)...)
}

// ValidateUpdate validates obj replacing old: the ObjectMeta update rules
// (name, namespace, uid and creationTimestamp immutable; resourceVersion
// present, so the server fills it before calling for unconditional updates)
// plus each kind's immutable fields and spec rules. namespaced is accepted
// for symmetry with ValidateCreate; an update cannot move an object between
// namespaces, which the immutability rule already covers.
func ValidateUpdate(obj, old runtime.Object, namespaced bool) field.ErrorList {
	_ = namespaced
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), fmt.Errorf("validate %T: %w", obj, err))}
	}
	oldAccessor, err := meta.Accessor(old)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), fmt.Errorf("validate old %T: %w", old, err))}
	}
	if reflect.TypeOf(obj) != reflect.TypeOf(old) {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("update of %T with an old object of type %T", obj, old))}
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaAccessorUpdate(accessor, oldAccessor, field.NewPath("metadata"))
	return append(allErrs, validateObjectUpdate(obj, old)...)
}
