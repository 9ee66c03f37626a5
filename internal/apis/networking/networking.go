package networking

import (
	"strings"

	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultNetworkPolicy sets port protocols to TCP and, when policyTypes is
// empty, Ingress plus Egress if egress rules are present.
func DefaultNetworkPolicy(np *networkingv1.NetworkPolicy) {
	tcp := v1.ProtocolTCP
	for i := range np.Spec.Ingress {
		for j := range np.Spec.Ingress[i].Ports {
			if np.Spec.Ingress[i].Ports[j].Protocol == nil {
				np.Spec.Ingress[i].Ports[j].Protocol = &tcp
			}
		}
	}
	for i := range np.Spec.Egress {
		for j := range np.Spec.Egress[i].Ports {
			if np.Spec.Egress[i].Ports[j].Protocol == nil {
				np.Spec.Egress[i].Ports[j].Protocol = &tcp
			}
		}
	}
	if len(np.Spec.PolicyTypes) == 0 {
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) != 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
}

// ValidateNetworkPolicy checks the pod selector, policy types and peers.
func ValidateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	specPath := field.NewPath("spec")
	opts := metav1validation.LabelSelectorValidationOptions{}
	allErrs := metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, opts, specPath.Child("podSelector"))
	for i, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("policyTypes").Index(i), t,
				[]networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}))
		}
	}
	if len(np.Spec.PolicyTypes) > 2 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, rule := range np.Spec.Ingress {
		allErrs = append(allErrs, validatePeers(rule.From, specPath.Child("ingress").Index(i).Child("from"))...)
	}
	for i, rule := range np.Spec.Egress {
		allErrs = append(allErrs, validatePeers(rule.To, specPath.Child("egress").Index(i).Child("to"))...)
	}
	return allErrs
}

func validatePeers(peers []networkingv1.NetworkPolicyPeer, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	opts := metav1validation.LabelSelectorValidationOptions{}
	for i, p := range peers {
		idxPath := fldPath.Index(i)
		n := 0
		if p.PodSelector != nil {
			n++
			allErrs = append(allErrs, metav1validation.ValidateLabelSelector(p.PodSelector, opts, idxPath.Child("podSelector"))...)
		}
		if p.NamespaceSelector != nil {
			n++
			allErrs = append(allErrs, metav1validation.ValidateLabelSelector(p.NamespaceSelector, opts, idxPath.Child("namespaceSelector"))...)
		}
		if p.IPBlock != nil {
			n++
			allErrs = append(allErrs, validation.IsValidCIDR(idxPath.Child("ipBlock", "cidr"), p.IPBlock.CIDR)...)
		}
		switch {
		case n == 0:
			allErrs = append(allErrs, field.Required(idxPath, "must specify a peer"))
		case p.IPBlock != nil && n > 1:
			allErrs = append(allErrs, field.Forbidden(idxPath, "may not specify both ipBlock and another peer"))
		}
	}
	return allErrs
}

// ValidateIngress requires a default backend or rules, valid hosts, and
// absolute paths with a path type.
func ValidateIngress(ing *networkingv1.Ingress) field.ErrorList {
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList
	if ing.Spec.DefaultBackend == nil && len(ing.Spec.Rules) == 0 {
		allErrs = append(allErrs, field.Invalid(specPath, ing.Spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	for i, rule := range ing.Spec.Rules {
		rulePath := specPath.Child("rules").Index(i)
		if rule.Host != "" {
			host := rule.Host
			check := validation.IsDNS1123Subdomain
			if strings.HasPrefix(host, "*.") {
				check = validation.IsWildcardDNS1123Subdomain
			}
			for _, msg := range check(host) {
				allErrs = append(allErrs, field.Invalid(rulePath.Child("host"), host, msg))
			}
		}
		if rule.HTTP == nil {
			continue
		}
		for j, p := range rule.HTTP.Paths {
			allErrs = append(allErrs, validateIngressPath(p, rulePath.Child("http", "paths").Index(j))...)
		}
	}
	return allErrs
}

func validateIngressPath(p networkingv1.HTTPIngressPath, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if p.PathType == nil {
		return append(allErrs, field.Required(fldPath.Child("pathType"), "pathType must be specified"))
	}
	switch *p.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		if !strings.HasPrefix(p.Path, "/") {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("path"), p.Path, "must be an absolute path"))
		}
	case networkingv1.PathTypeImplementationSpecific:
		if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("path"), p.Path, "must be an absolute path"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("pathType"), *p.PathType,
			[]networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific}))
	}
	b := p.Backend
	if b.Service != nil && b.Resource != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("backend"), b, "cannot set both service and resource backends"))
	} else if b.Service == nil && b.Resource == nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("backend"), b, "must specify a service or resource backend"))
	}
	return allErrs
}

// maxIngressClassControllerLen is upstream's limit on spec.controller.
const maxIngressClassControllerLen = 250

// ValidateIngressClass requires a domain-prefixed controller name.
func ValidateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	ctrlPath := field.NewPath("spec", "controller")
	if ic.Spec.Controller == "" {
		return field.ErrorList{field.Required(ctrlPath, "")}
	}
	allErrs := validation.IsDomainPrefixedPath(ctrlPath, ic.Spec.Controller)
	if len(ic.Spec.Controller) > maxIngressClassControllerLen {
		allErrs = append(allErrs, field.TooLong(ctrlPath, ic.Spec.Controller, maxIngressClassControllerLen))
	}
	return allErrs
}

// ValidateIngressClassUpdate: the controller is immutable.
func ValidateIngressClassUpdate(ic, old *networkingv1.IngressClass) field.ErrorList {
	allErrs := ValidateIngressClass(ic)
	if ic.Spec.Controller != old.Spec.Controller {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "controller"), ic.Spec.Controller, "field is immutable"))
	}
	return allErrs
}
