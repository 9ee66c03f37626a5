package core

import (
	"fmt"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func itoa(v int32) string {
	return strconv.Itoa(int(v))
}

// ValidateResourceRequirements checks a container's limits and requests:
// resource names, non-negative quantities and requests not above limits.
func ValidateResourceRequirements(r *v1.ResourceRequirements, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	limPath := fldPath.Child("limits")
	reqPath := fldPath.Child("requests")
	for name, q := range r.Limits {
		allErrs = append(allErrs, validateResourceEntry(name, q, limPath.Key(string(name)))...)
	}
	for name, q := range r.Requests {
		p := reqPath.Key(string(name))
		allErrs = append(allErrs, validateResourceEntry(name, q, p)...)
		limit, ok := r.Limits[name]
		if ok && q.Cmp(limit) > 0 {
			allErrs = append(allErrs, field.Invalid(p, q.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	return allErrs
}

func isHugePages(name v1.ResourceName) bool {
	return strings.HasPrefix(string(name), v1.ResourceHugePagesPrefix)
}

func validateResourceEntry(name v1.ResourceName, q resource.Quantity, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsQualifiedName(string(name)) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	if len(allErrs) == 0 && !isContainerResource(name) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, "must be a standard resource for containers"))
	}
	if q.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, q.String(), isNegativeErrorMsg))
	}
	if isExtendedResource(name) && q.MilliValue()%1000 != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, q.String(), "must be an integer"))
	}
	return allErrs
}

// isContainerResource: cpu, memory, ephemeral-storage, hugepages-* or any
// domain-prefixed (extended) resource.
func isContainerResource(name v1.ResourceName) bool {
	switch name {
	case v1.ResourceCPU, v1.ResourceMemory, v1.ResourceEphemeralStorage:
		return true
	}
	return isHugePages(name) || strings.Contains(string(name), "/")
}

func isExtendedResource(name v1.ResourceName) bool {
	return strings.Contains(string(name), "/") && !strings.HasPrefix(string(name), "kubernetes.io/") &&
		!strings.HasPrefix(string(name), v1.ResourceDefaultNamespacePrefix)
}
