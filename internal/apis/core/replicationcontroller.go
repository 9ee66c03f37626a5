package core

import (
	v1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultReplicationController defaults the template, copies the template
// labels into an empty selector and empty object labels, and sets replicas 1.
func DefaultReplicationController(rc *v1.ReplicationController) {
	if rc.Spec.Template != nil {
		DefaultPodTemplateSpec(rc.Spec.Template)
		if tl := rc.Spec.Template.Labels; tl != nil {
			if len(rc.Spec.Selector) == 0 {
				rc.Spec.Selector = tl
			}
			if len(rc.Labels) == 0 {
				rc.Labels = tl
			}
		}
	}
	if rc.Spec.Replicas == nil {
		one := int32(1)
		rc.Spec.Replicas = &one
	}
}

// ValidateReplicationController checks the spec: a non-empty selector that
// matches the template labels, non-negative replicas and minReadySeconds, and
// a pod template with restartPolicy Always and no activeDeadlineSeconds.
func ValidateReplicationController(rc *v1.ReplicationController) field.ErrorList {
	specPath := field.NewPath("spec")
	spec := &rc.Spec
	allErrs := apimachineryvalidation.ValidateNonnegativeField(int64(spec.MinReadySeconds), specPath.Child("minReadySeconds"))
	selector := labels.Set(spec.Selector).AsSelector()
	if selector.Empty() {
		allErrs = append(allErrs, field.Required(specPath.Child("selector"), ""))
	}
	if spec.Replicas != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(*spec.Replicas), specPath.Child("replicas"))...)
	}
	tmplPath := specPath.Child("template")
	tmpl := spec.Template
	if tmpl == nil {
		return append(allErrs, field.Required(tmplPath, ""))
	}
	if !selector.Empty() && !selector.Matches(labels.Set(tmpl.Labels)) {
		allErrs = append(allErrs, field.Invalid(tmplPath.Child("metadata", "labels"), tmpl.Labels, "`selector` does not match template `labels`"))
	}
	allErrs = append(allErrs, ValidatePodTemplateSpec(tmpl, tmplPath)...)
	if tmpl.Spec.RestartPolicy != v1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(tmplPath.Child("spec", "restartPolicy"), tmpl.Spec.RestartPolicy,
			[]v1.RestartPolicy{v1.RestartPolicyAlways}))
	}
	if tmpl.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(tmplPath.Child("spec", "activeDeadlineSeconds"),
			"activeDeadlineSeconds in ReplicationController is not Supported"))
	}
	return allErrs
}
