package apps

import (
	appsv1 "k8s.io/api/apps/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateControllerRevision requires data and a non-negative revision.
func ValidateControllerRevision(cr *appsv1.ControllerRevision) field.ErrorList {
	var allErrs field.ErrorList
	if cr.Data.Raw == nil && cr.Data.Object == nil {
		allErrs = append(allErrs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	return append(allErrs, apimachineryvalidation.ValidateNonnegativeField(cr.Revision, field.NewPath("revision"))...)
}

// ValidateControllerRevisionUpdate keeps data immutable.
func ValidateControllerRevisionUpdate(cr, old *appsv1.ControllerRevision) field.ErrorList {
	allErrs := ValidateControllerRevision(cr)
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(cr.Data, old.Data, field.NewPath("data"))...)
}
