package scheduling

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Priority bounds and the built-in system classes.
const (
	HighestUserDefinablePriority int32 = 1000000000
	systemPriorityClassPrefix          = "system-"
)

// systemPriorityValue returns the value of a built-in system priority class.
func systemPriorityValue(name string) (int32, bool) {
	switch name {
	case "system-cluster-critical":
		return 2 * HighestUserDefinablePriority, true
	case "system-node-critical":
		return 2*HighestUserDefinablePriority + 1000, true
	}
	return 0, false
}

// DefaultPriorityClass sets preemptionPolicy PreemptLowerPriority.
func DefaultPriorityClass(pc *schedulingv1.PriorityClass) {
	if pc.PreemptionPolicy == nil {
		p := v1.PreemptLowerPriority
		pc.PreemptionPolicy = &p
	}
}

// ValidatePriorityClass checks reserved system- names, the value range of
// user classes and the preemption policy.
func ValidatePriorityClass(pc *schedulingv1.PriorityClass) field.ErrorList {
	var allErrs field.ErrorList
	if strings.HasPrefix(pc.Name, systemPriorityClassPrefix) {
		if want, ok := systemPriorityValue(pc.Name); !ok {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("metadata", "name"), "priority class names with '"+systemPriorityClassPrefix+"' prefix are reserved for system use only"))
		} else if pc.Value != want {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("value of %s must be %d", pc.Name, want)))
		}
	} else if pc.Value > HighestUserDefinablePriority {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %v", HighestUserDefinablePriority)))
	}
	if p := pc.PreemptionPolicy; p != nil && *p != v1.PreemptLowerPriority && *p != v1.PreemptNever {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("preemptionPolicy"), *p, []v1.PreemptionPolicy{v1.PreemptLowerPriority, v1.PreemptNever}))
	}
	return allErrs
}

// ValidatePriorityClassUpdate: value and preemptionPolicy are immutable.
func ValidatePriorityClassUpdate(pc, old *schedulingv1.PriorityClass) field.ErrorList {
	allErrs := ValidatePriorityClass(pc)
	if pc.Value != old.Value {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(pc.PreemptionPolicy, old.PreemptionPolicy, field.NewPath("preemptionPolicy"))...)
}
