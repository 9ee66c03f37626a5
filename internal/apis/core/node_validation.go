package core

import (
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateNode checks the node's pod CIDRs and taints.
func ValidateNode(node *v1.Node) field.ErrorList {
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList
	cidrPath := specPath.Child("podCIDRs")
	if len(node.Spec.PodCIDRs) > 0 && node.Spec.PodCIDR != node.Spec.PodCIDRs[0] {
		allErrs = append(allErrs, field.Invalid(specPath.Child("podCIDR"), node.Spec.PodCIDR, "must match the first element of podCIDRs"))
	}
	for i, c := range node.Spec.PodCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			allErrs = append(allErrs, field.Invalid(cidrPath.Index(i), c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
		}
	}
	if len(node.Spec.PodCIDRs) > 2 {
		allErrs = append(allErrs, field.Invalid(cidrPath, node.Spec.PodCIDRs, "may specify no more than one CIDR for each IP family"))
	}
	return append(allErrs, validateTaints(node.Spec.Taints, specPath.Child("taints"))...)
}

func validateTaints(taints []v1.Taint, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, t := range taints {
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, idxPath.Child("key"))...)
		if t.Value != "" {
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("value"), t.Value, msg))
			}
		}
		allErrs = append(allErrs, ValidateTaintEffect(t.Effect, idxPath.Child("effect"))...)
		key := t.Key + "\x00" + string(t.Effect)
		if seen[key] {
			allErrs = append(allErrs, field.Duplicate(idxPath, "taints must be unique by key and effect pair"))
		}
		seen[key] = true
	}
	return allErrs
}

// ValidateNodeUpdate validates node replacing old: pod CIDRs and the provider
// ID may only be set once.
func ValidateNodeUpdate(node, old *v1.Node) field.ErrorList {
	allErrs := ValidateNode(node)
	specPath := field.NewPath("spec")
	if len(old.Spec.PodCIDRs) > 0 && !slices.Equal(old.Spec.PodCIDRs, node.Spec.PodCIDRs) {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if old.Spec.ProviderID != "" && old.Spec.ProviderID != node.Spec.ProviderID {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("providerID"), "node updates may not change providerID except from \"\" to valid"))
	}
	return allErrs
}
