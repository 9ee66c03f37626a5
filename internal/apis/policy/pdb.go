package policy

import (
	"strconv"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePodDisruptionBudget checks that at most one of minAvailable and
// maxUnavailable is set, that each is a non-negative int or a percent up to
// 100%, the selector, and the unhealthy pod eviction policy.
func ValidatePodDisruptionBudget(pdb *policyv1.PodDisruptionBudget) field.ErrorList {
	spec := &pdb.Spec
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		allErrs = append(allErrs, field.Invalid(specPath, spec, "minAvailable and maxUnavailable cannot be both set"))
	}
	allErrs = append(allErrs, validateIntOrPercent(spec.MinAvailable, specPath.Child("minAvailable"))...)
	allErrs = append(allErrs, validateIntOrPercent(spec.MaxUnavailable, specPath.Child("maxUnavailable"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, specPath.Child("selector"))...)
	if p := spec.UnhealthyPodEvictionPolicy; p != nil && *p != policyv1.IfHealthyBudget && *p != policyv1.AlwaysAllow {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("unhealthyPodEvictionPolicy"), *p,
			[]policyv1.UnhealthyPodEvictionPolicyType{policyv1.IfHealthyBudget, policyv1.AlwaysAllow}))
	}
	return allErrs
}

func validateIntOrPercent(v *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	var allErrs field.ErrorList
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			allErrs = append(allErrs, field.Invalid(fldPath, v.IntVal, "must be greater than or equal to 0"))
		}
		return allErrs
	}
	for _, msg := range validation.IsValidPercent(v.StrVal) {
		allErrs = append(allErrs, field.Invalid(fldPath, v, msg))
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%")); err == nil && n > 100 {
		allErrs = append(allErrs, field.Invalid(fldPath, v, "must not be greater than 100%"))
	}
	return allErrs
}
