package apiserver

import (
	"fmt"
	"net"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/core"
)

// serviceFamilies lists the IP families the cluster serves Services in, the
// primary (default) family first.
func (s *Server) serviceFamilies() []corev1.IPFamily {
	fams := []corev1.IPFamily{cidrFamily(s.cfg.ServiceCIDR)}
	if s.cfg.SecondaryServiceCIDR != nil {
		fams = append(fams, cidrFamily(s.cfg.SecondaryServiceCIDR))
	}
	return fams
}

// serviceCIDRFor returns the service range of family fam (nil when the
// cluster does not serve it).
func (s *Server) serviceCIDRFor(fam corev1.IPFamily) *net.IPNet {
	for _, c := range []*net.IPNet{s.cfg.ServiceCIDR, s.cfg.SecondaryServiceCIDR} {
		if c != nil && cidrFamily(c) == fam {
			return c
		}
	}
	return nil
}

func cidrFamily(c *net.IPNet) corev1.IPFamily {
	if c.IP.To4() != nil {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

func otherFamily(fam corev1.IPFamily) corev1.IPFamily {
	if fam == corev1.IPv4Protocol {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// resolveIPFamilies settles spec.ipFamilyPolicy and spec.ipFamilies of a
// Service that needs cluster IPs, as upstream's allocator does before
// allocating: the policy defaults (from old on update, RequireDualStack for
// headless selectorless Services, else SingleStack), families are inferred
// from given clusterIPs, checked against the cluster's families (primary
// first in cluster) and, for dual-stack policies on a dual-stack cluster,
// completed with the other family. svc is mutated; old is nil on create.
// The returned errors are field errors for a 422.
func resolveIPFamilies(svc, old *corev1.Service, cluster []corev1.IPFamily) field.ErrorList {
	spec := &svc.Spec
	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	if spec.ClusterIP != "" && len(spec.ClusterIPs) == 0 {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
	headlessSelectorless := spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0
	if spec.IPFamilyPolicy == nil {
		p := corev1.IPFamilyPolicySingleStack
		switch {
		case old != nil && old.Spec.IPFamilyPolicy != nil:
			p = *old.Spec.IPFamilyPolicy
		case headlessSelectorless:
			p = corev1.IPFamilyPolicyRequireDualStack
		}
		spec.IPFamilyPolicy = &p
	}
	policy := *spec.IPFamilyPolicy
	var errs field.ErrorList
	if old != nil {
		errs = append(errs, resolveDowngrade(svc, old)...)
	}
	if policy == corev1.IPFamilyPolicySingleStack {
		if len(spec.ClusterIPs) == 2 {
			errs = append(errs, field.Invalid(policyPath, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(spec.IPFamilies) == 2 {
			errs = append(errs, field.Invalid(policyPath, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}
	for i, ip := range spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			break
		}
		fam := core.FamilyOfIP(ip)
		if i < len(spec.IPFamilies) {
			continue
		}
		if !slices.Contains(cluster, fam) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), spec.ClusterIPs, fmt.Sprintf("%s is not configured on this cluster", fam)))
			continue
		}
		spec.IPFamilies = append(spec.IPFamilies, fam)
	}
	if len(errs) > 0 {
		return errs
	}
	if headlessSelectorless {
		// Headless without selector: any families, even on a single-stack cluster.
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = []corev1.IPFamily{cluster[0]}
		}
		if len(spec.IPFamilies) == 1 && policy != corev1.IPFamilyPolicySingleStack {
			spec.IPFamilies = append(spec.IPFamilies, otherFamily(spec.IPFamilies[0]))
		}
		return nil
	}
	if policy == corev1.IPFamilyPolicyRequireDualStack && len(cluster) < 2 {
		errs = append(errs, field.Invalid(policyPath, policy, "this cluster is not configured for dual-stack services"))
	}
	for i, fam := range spec.IPFamilies {
		if !slices.Contains(cluster, fam) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), fam, "not configured on this cluster"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{cluster[0]}
	}
	if policy != corev1.IPFamilyPolicySingleStack && len(spec.IPFamilies) == 1 && len(cluster) == 2 {
		spec.IPFamilies = append(spec.IPFamilies, otherFamily(spec.IPFamilies[0]))
	}
	return nil
}

// resolveDowngrade handles an update's request to go back to one family:
// with policy SingleStack and unchanged clusterIPs/ipFamilies the secondary
// is dropped; with any other policy a shortened list is an error.
func resolveDowngrade(svc, old *corev1.Service) field.ErrorList {
	spec := &svc.Spec
	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	sameIPs := slices.Equal(spec.ClusterIPs, old.Spec.ClusterIPs)
	sameFams := slices.Equal(spec.IPFamilies, old.Spec.IPFamilies)
	if *spec.IPFamilyPolicy == corev1.IPFamilyPolicySingleStack {
		if sameIPs && len(spec.ClusterIPs) > 1 {
			spec.ClusterIPs = spec.ClusterIPs[:1]
		}
		if sameFams && len(spec.IPFamilies) > 1 {
			spec.IPFamilies = spec.IPFamilies[:1]
		}
		return nil
	}
	var errs field.ErrorList
	if len(spec.ClusterIPs) > 0 && len(spec.ClusterIPs) < len(old.Spec.ClusterIPs) {
		errs = append(errs, field.Invalid(policyPath, *spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"))
	}
	if len(spec.IPFamilies) > 0 && len(spec.IPFamilies) < len(old.Spec.IPFamilies) {
		errs = append(errs, field.Invalid(policyPath, *spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"))
	}
	return errs
}
