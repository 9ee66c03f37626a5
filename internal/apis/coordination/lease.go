package coordination

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateLease checks leaseDurationSeconds (> 0) and leaseTransitions (>= 0).
func ValidateLease(l *coordinationv1.Lease) field.ErrorList {
	var allErrs field.ErrorList
	specPath := field.NewPath("spec")
	if d := l.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if n := l.Spec.LeaseTransitions; n != nil && *n < 0 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("leaseTransitions"), *n, "must be greater than or equal to 0"))
	}
	return allErrs
}
