package node

import (
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/core"
)

// ValidateRuntimeClass checks that the handler is a DNS-1123 label, the pod
// overhead quantities and the scheduling node selector and tolerations.
func ValidateRuntimeClass(rc *nodev1.RuntimeClass) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range apimachineryvalidation.NameIsDNSLabel(rc.Handler, false) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("handler"), rc.Handler, msg))
	}
	if rc.Overhead != nil {
		req := corev1.ResourceRequirements{Limits: rc.Overhead.PodFixed}
		errs := core.ValidateResourceRequirements(&req, field.NewPath("overhead"))
		for _, e := range errs {
			e.Field = "overhead.podFixed" + e.Field[len("overhead.limits"):]
			allErrs = append(allErrs, e)
		}
	}
	if s := rc.Scheduling; s != nil {
		sPath := field.NewPath("scheduling")
		allErrs = append(allErrs, metav1validation.ValidateLabels(s.NodeSelector, sPath.Child("nodeSelector"))...)
		allErrs = append(allErrs, core.ValidateTolerations(s.Tolerations, sPath.Child("tolerations"))...)
	}
	return allErrs
}

// ValidateRuntimeClassUpdate keeps the handler immutable.
func ValidateRuntimeClassUpdate(rc, old *nodev1.RuntimeClass) field.ErrorList {
	allErrs := ValidateRuntimeClass(rc)
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(rc.Handler, old.Handler, field.NewPath("handler"))...)
}
