package apps

import (
	"fmt"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/core"
)

// validateSelectorAndTemplate checks the workload selector (required,
// non-empty, valid) and the pod template: labels matched by the selector,
// restartPolicy Always, no activeDeadlineSeconds. kind names the workload in
// the empty-selector message and the activeDeadlineSeconds message.
func validateSelectorAndTemplate(sel *metav1.LabelSelector, tmpl *v1.PodTemplateSpec, emptyKind, kind string, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	selPath := specPath.Child("selector")
	tmplPath := specPath.Child("template")
	var selector labels.Selector = labels.Nothing()
	if sel == nil {
		allErrs = append(allErrs, field.Required(selPath, ""))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, selPath)...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			allErrs = append(allErrs, field.Invalid(selPath, sel, "empty selector is invalid for "+emptyKind))
		}
		if s, err := metav1.LabelSelectorAsSelector(sel); err == nil {
			selector = s
		}
	}
	if sel != nil && !selector.Empty() && !selector.Matches(labels.Set(tmpl.Labels)) {
		allErrs = append(allErrs, field.Invalid(tmplPath.Child("metadata", "labels"), tmpl.Labels, "`selector` does not match template `labels`"))
	}
	allErrs = append(allErrs, core.ValidatePodTemplateSpec(tmpl, tmplPath)...)
	if p := tmpl.Spec.RestartPolicy; p != v1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(tmplPath.Child("spec", "restartPolicy"), p, []v1.RestartPolicy{v1.RestartPolicyAlways}))
	}
	if tmpl.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(tmplPath.Child("spec", "activeDeadlineSeconds"), fmt.Sprintf("activeDeadlineSeconds in %s is not Supported", kind)))
	}
	return allErrs
}

func validateNonnegative(v *int32, fldPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	return apimachineryvalidation.ValidateNonnegativeField(int64(*v), fldPath)
}

// validatePositiveIntOrPercent accepts a non-negative int or a percent string.
func validatePositiveIntOrPercent(v *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	var allErrs field.ErrorList
	if v.Type == intstr.String {
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, v, msg))
		}
		return allErrs
	}
	return apimachineryvalidation.ValidateNonnegativeField(int64(v.IntValue()), fldPath)
}

// intOrPercentValue returns the number, or the percentage for a percent
// string, and whether the value is a percent.
func intOrPercentValue(v *intstr.IntOrString) (int, bool) {
	if v == nil {
		return 0, false
	}
	if v.Type == intstr.String {
		n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
		if err != nil {
			return -1, true
		}
		return n, true
	}
	return v.IntValue(), false
}

func validateNotMoreThan100Percent(v *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	if n, pct := intOrPercentValue(v); pct && n > 100 {
		return field.ErrorList{field.Invalid(fldPath, v, "must not be greater than 100%")}
	}
	return nil
}

// validateMaxUnavailableAndSurge checks a rolling update's maxUnavailable
// and maxSurge pair.
func validateMaxUnavailableAndSurge(unavailable, surge *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	uPath := fldPath.Child("maxUnavailable")
	allErrs := validatePositiveIntOrPercent(unavailable, uPath)
	allErrs = append(allErrs, validatePositiveIntOrPercent(surge, fldPath.Child("maxSurge"))...)
	allErrs = append(allErrs, validateNotMoreThan100Percent(unavailable, uPath)...)
	u, _ := intOrPercentValue(unavailable)
	s, _ := intOrPercentValue(surge)
	if u == 0 && s == 0 {
		allErrs = append(allErrs, field.Invalid(uPath, unavailable, "may not be 0 when `maxSurge` is 0"))
	}
	return allErrs
}
