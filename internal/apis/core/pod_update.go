package core

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podUpdateForbiddenMsg is upstream's detail for a pod spec change outside the
// mutable fields.
const podUpdateForbiddenMsg = "pod updates may not change fields other than " +
	"`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`," +
	"`spec.tolerations` (only additions to existing tolerations)," +
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// ValidatePodUpdate validates the spec of newPod replacing oldPod: the new
// spec must be valid, and only images, activeDeadlineSeconds, tolerations
// (additions), scheduling gates (removals) and a negative
// terminationGracePeriodSeconds may change.
func ValidatePodUpdate(newPod, oldPod *v1.Pod) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := ValidatePodSpec(&newPod.Spec, specPath)
	allErrs = append(allErrs, validateActiveDeadlineUpdate(newPod.Spec.ActiveDeadlineSeconds, oldPod.Spec.ActiveDeadlineSeconds, specPath.Child("activeDeadlineSeconds"))...)
	allErrs = append(allErrs, validateTolerationsUpdate(newPod.Spec.Tolerations, oldPod.Spec.Tolerations, specPath.Child("tolerations"))...)
	allErrs = append(allErrs, validateSchedulingGatesUpdate(newPod.Spec.SchedulingGates, oldPod.Spec.SchedulingGates, specPath.Child("schedulingGates"))...)

	// Start from the old spec, carry over what may change, and require the
	// rest to be equal.
	mungedSpec := oldPod.Spec.DeepCopy()
	if len(mungedSpec.Containers) == len(newPod.Spec.Containers) {
		for i := range mungedSpec.Containers {
			mungedSpec.Containers[i].Image = newPod.Spec.Containers[i].Image
		}
	}
	if len(mungedSpec.InitContainers) == len(newPod.Spec.InitContainers) {
		for i := range mungedSpec.InitContainers {
			mungedSpec.InitContainers[i].Image = newPod.Spec.InitContainers[i].Image
		}
	}
	mungedSpec.ActiveDeadlineSeconds = newPod.Spec.ActiveDeadlineSeconds
	mungedSpec.Tolerations = newPod.Spec.Tolerations
	mungedSpec.SchedulingGates = newPod.Spec.SchedulingGates
	if old := oldPod.Spec.TerminationGracePeriodSeconds; old != nil && *old < 0 {
		if nv := newPod.Spec.TerminationGracePeriodSeconds; nv != nil && *nv == 1 {
			mungedSpec.TerminationGracePeriodSeconds = nv
		}
	}
	// Ephemeral containers change only through their own subresource (not
	// served yet), so a normal update must keep them as they are: they stay
	// in the equality check below.
	if !equality.Semantic.DeepEqual(*mungedSpec, newPod.Spec) {
		allErrs = append(allErrs, field.Forbidden(specPath, podUpdateForbiddenMsg))
	}
	return allErrs
}

func validateActiveDeadlineUpdate(newVal, oldVal *int64, fldPath *field.Path) field.ErrorList {
	if oldVal == nil {
		return nil
	}
	if newVal == nil {
		return field.ErrorList{field.Invalid(fldPath, newVal, "must not update from a positive integer to nil value")}
	}
	if *newVal > *oldVal {
		return field.ErrorList{field.Invalid(fldPath, *newVal, "must be less than or equal to previous value")}
	}
	return nil
}

// validateTolerationsUpdate requires every old toleration to remain; a
// NoExecute toleration may only shorten its tolerationSeconds.
func validateTolerationsUpdate(newTols, oldTols []v1.Toleration, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, old := range oldTols {
		found := false
		for _, nt := range newTols {
			if sameTolerationExceptSeconds(old, nt) && tolerationSecondsNotLonger(nt.TolerationSeconds, old.TolerationSeconds) {
				found = true
				break
			}
		}
		if !found {
			allErrs = append(allErrs, field.Forbidden(fldPath, "existing toleration can not be modified except its tolerationSeconds"))
			break
		}
	}
	return allErrs
}

func sameTolerationExceptSeconds(a, b v1.Toleration) bool {
	return a.Key == b.Key && a.Operator == b.Operator && a.Value == b.Value && a.Effect == b.Effect
}

func tolerationSecondsNotLonger(newVal, oldVal *int64) bool {
	if oldVal == nil {
		return true
	}
	return newVal != nil && *newVal <= *oldVal
}

// validateSchedulingGatesUpdate allows gates to be removed but not added.
func validateSchedulingGatesUpdate(newGates, oldGates []v1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	old := map[string]bool{}
	for _, g := range oldGates {
		old[g.Name] = true
	}
	for _, g := range newGates {
		if !old[g.Name] {
			return field.ErrorList{field.Forbidden(fldPath, "only deletion is allowed, but found new scheduling gate '"+g.Name+"'")}
		}
	}
	return nil
}
