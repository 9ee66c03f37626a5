package core

import (
	"fmt"
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FamilyOfIP returns the IP family of an address literal ("" when ip does
// not parse).
func FamilyOfIP(ip string) v1.IPFamily {
	addr, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return ""
	case addr.Unmap().Is4():
		return v1.IPv4Protocol
	default:
		return v1.IPv6Protocol
	}
}

// validateIPFamilyFields checks spec.ipFamilies, spec.ipFamilyPolicy and
// their agreement with spec.clusterIPs the way upstream validates them on
// their own, without knowing which families the cluster serves (the
// allocator checks that). Unset fields are fine: the allocator fills them.
func validateIPFamilyFields(spec *v1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	famPath := specPath.Child("ipFamilies")
	seen := map[v1.IPFamily]bool{}
	for i, fam := range spec.IPFamilies {
		if fam != v1.IPv4Protocol && fam != v1.IPv6Protocol {
			allErrs = append(allErrs, field.NotSupported(famPath.Index(i), fam, []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol}))
		}
		if seen[fam] {
			allErrs = append(allErrs, field.Duplicate(famPath.Index(i), fam))
		}
		seen[fam] = true
	}
	if spec.IPFamilyPolicy != nil {
		allErrs = append(allErrs, validateEnumField(specPath.Child("ipFamilyPolicy"), *spec.IPFamilyPolicy, []v1.IPFamilyPolicy{
			v1.IPFamilyPolicySingleStack, v1.IPFamilyPolicyPreferDualStack, v1.IPFamilyPolicyRequireDualStack})...)
	}
	ips := spec.ClusterIPs
	if len(ips) == 0 || ips[0] == v1.ClusterIPNone || len(ips) > 2 {
		return allErrs
	}
	ipsPath := specPath.Child("clusterIPs")
	fams := make([]v1.IPFamily, len(ips))
	for i, ip := range ips {
		if fams[i] = FamilyOfIP(ip); fams[i] == "" {
			return allErrs // reported by validateClusterIPs
		}
	}
	if len(fams) == 2 && fams[0] == fams[1] {
		allErrs = append(allErrs, field.Invalid(ipsPath, ips, "may specify no more than one IP for each IP family"))
	}
	for i, fam := range fams {
		if i < len(spec.IPFamilies) && spec.IPFamilies[i] != fam {
			allErrs = append(allErrs, field.Invalid(ipsPath.Index(i), ips[i],
				fmt.Sprintf("expected an %s value as indicated by `ipFamilies[%d]`", spec.IPFamilies[i], i)))
		}
	}
	return allErrs
}

// validateExternalNameIPFamilies forbids IP family fields on ExternalName
// Services, which have no cluster IPs.
func validateExternalNameIPFamilies(spec *v1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.IPFamilies) != 0 {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"))
	}
	if spec.IPFamilyPolicy != nil {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
	}
	return allErrs
}

// validateIPFamiliesUpdate keeps the primary IP family of a Service with
// cluster IPs: only the secondary family may be added or released.
// Headless Services may change families freely, as upstream.
func validateIPFamiliesUpdate(svc, old *v1.Service) field.ErrorList {
	if isHeadless(svc) || isHeadless(old) || len(svc.Spec.IPFamilies) == 0 || len(old.Spec.IPFamilies) == 0 {
		return nil
	}
	if svc.Spec.IPFamilies[0] != old.Spec.IPFamilies[0] {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "ipFamilies").Index(0), svc.Spec.IPFamilies, "may not change once set")}
	}
	return nil
}

func isHeadless(svc *v1.Service) bool {
	return len(svc.Spec.ClusterIPs) == 1 && svc.Spec.ClusterIPs[0] == v1.ClusterIPNone
}

// dropIPFamiliesForExternalName clears the IP family fields an update to
// type ExternalName carried over unchanged from the old Service, as
// upstream's update strategy drops type-dependent fields.
func dropIPFamiliesForExternalName(svc, old *v1.Service) {
	if svc.Spec.Type != v1.ServiceTypeExternalName || old.Spec.Type == v1.ServiceTypeExternalName {
		return
	}
	if slices.Equal(svc.Spec.IPFamilies, old.Spec.IPFamilies) {
		svc.Spec.IPFamilies = nil
	}
	if svc.Spec.IPFamilyPolicy != nil && old.Spec.IPFamilyPolicy != nil && *svc.Spec.IPFamilyPolicy == *old.Spec.IPFamilyPolicy {
		svc.Spec.IPFamilyPolicy = nil
	}
}
