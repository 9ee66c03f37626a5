package core

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const maxClientIPTimeoutSeconds = 86400

// ValidateService validates a Service's spec (not its ObjectMeta).
func ValidateService(svc *v1.Service) field.ErrorList {
	spec := &svc.Spec
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateEnumField(specPath.Child("type"), spec.Type, []v1.ServiceType{
		v1.ServiceTypeClusterIP, v1.ServiceTypeExternalName, v1.ServiceTypeLoadBalancer, v1.ServiceTypeNodePort})...)
	headless := spec.ClusterIP == v1.ClusterIPNone
	if spec.Type == v1.ServiceTypeExternalName {
		allErrs = append(allErrs, validateExternalName(spec, specPath)...)
		allErrs = append(allErrs, validateExternalNameIPFamilies(spec, specPath)...)
	} else {
		if len(spec.Ports) == 0 && !headless {
			allErrs = append(allErrs, field.Required(specPath.Child("ports"), ""))
		}
		allErrs = append(allErrs, validateClusterIPs(spec, specPath)...)
		allErrs = append(allErrs, validateIPFamilyFields(spec, specPath)...)
	}
	allErrs = append(allErrs, validateServicePorts(spec, specPath.Child("ports"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	allErrs = append(allErrs, validateSessionAffinity(spec, specPath)...)
	allErrs = append(allErrs, validateTrafficPolicies(spec, specPath)...)
	return allErrs
}

func validateExternalName(spec *v1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.ClusterIP != "" {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIP"), "may not be set for ExternalName services"))
	}
	if len(spec.ClusterIPs) != 0 {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"))
	}
	name := strings.TrimSuffix(spec.ExternalName, ".")
	if name == "" {
		return append(allErrs, field.Required(specPath.Child("externalName"), ""))
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		allErrs = append(allErrs, field.Invalid(specPath.Child("externalName"), spec.ExternalName, msg))
	}
	return allErrs
}

func validateClusterIPs(spec *v1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	ipsPath := specPath.Child("clusterIPs")
	if len(spec.ClusterIPs) > 0 && spec.ClusterIPs[0] != spec.ClusterIP {
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "first value must match `clusterIP`"))
	}
	if len(spec.ClusterIPs) > 2 {
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "may only hold up to 2 values"))
	}
	ips := spec.ClusterIPs
	path := ipsPath
	if len(ips) == 0 && spec.ClusterIP != "" {
		ips, path = []string{spec.ClusterIP}, specPath.Child("clusterIP")
	}
	for i, ip := range ips {
		p := path
		if path == ipsPath {
			p = ipsPath.Index(i)
		}
		if ip == v1.ClusterIPNone {
			if i > 0 || len(ips) > 1 {
				allErrs = append(allErrs, field.Invalid(p, ip, "'None' must be the first and only value"))
			}
			continue
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			allErrs = append(allErrs, field.Invalid(p, ip, "must be empty, 'None', or a valid IP address"))
		}
	}
	return allErrs
}

type portKey struct {
	port     int32
	protocol v1.Protocol
}

func validateServicePorts(spec *v1.ServiceSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	ports := map[portKey]bool{}
	nodePorts := map[portKey]bool{}
	for i, sp := range spec.Ports {
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validateServicePort(&sp, len(spec.Ports) > 1, names, idxPath)...)
		key := portKey{sp.Port, sp.Protocol}
		if ports[key] {
			allErrs = append(allErrs, field.Duplicate(idxPath, fmt.Sprintf("%d/%s", sp.Port, sp.Protocol)))
		}
		ports[key] = true
		if sp.NodePort == 0 {
			continue
		}
		switch spec.Type {
		case v1.ServiceTypeClusterIP, v1.ServiceTypeExternalName:
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("nodePort"), fmt.Sprintf("may not be used when `type` is '%s'", spec.Type)))
		}
		for _, msg := range validation.IsValidPortNum(int(sp.NodePort)) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("nodePort"), sp.NodePort, msg))
		}
		nkey := portKey{sp.NodePort, sp.Protocol}
		if nodePorts[nkey] {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("nodePort"), sp.NodePort))
		}
		nodePorts[nkey] = true
	}
	return allErrs
}

func validateServicePort(sp *v1.ServicePort, requireName bool, names sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	namePath := fldPath.Child("name")
	if requireName && sp.Name == "" {
		allErrs = append(allErrs, field.Required(namePath, ""))
	} else if sp.Name != "" {
		for _, msg := range validation.IsDNS1123Label(sp.Name) {
			allErrs = append(allErrs, field.Invalid(namePath, sp.Name, msg))
		}
		if names.Has(sp.Name) {
			allErrs = append(allErrs, field.Duplicate(namePath, sp.Name))
		}
		names.Insert(sp.Name)
	}
	for _, msg := range validation.IsValidPortNum(int(sp.Port)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("port"), sp.Port, msg))
	}
	allErrs = append(allErrs, validateProtocol(sp.Protocol, fldPath.Child("protocol"))...)
	allErrs = append(allErrs, validatePortNumOrName(sp.TargetPort, fldPath.Child("targetPort"))...)
	return allErrs
}

func validatePortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if port.Type == intstr.String {
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.StrVal, msg))
		}
		return allErrs
	}
	for _, msg := range validation.IsValidPortNum(port.IntValue()) {
		allErrs = append(allErrs, field.Invalid(fldPath, port.IntValue(), msg))
	}
	return allErrs
}

func validateSessionAffinity(spec *v1.ServiceSpec, specPath *field.Path) field.ErrorList {
	allErrs := validateEnumField(specPath.Child("sessionAffinity"), spec.SessionAffinity,
		[]v1.ServiceAffinity{v1.ServiceAffinityClientIP, v1.ServiceAffinityNone})
	cfgPath := specPath.Child("sessionAffinityConfig")
	switch spec.SessionAffinity {
	case v1.ServiceAffinityClientIP:
		if spec.SessionAffinityConfig == nil || spec.SessionAffinityConfig.ClientIP == nil || spec.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
			return append(allErrs, field.Required(cfgPath, fmt.Sprintf("when session affinity type is %s", v1.ServiceAffinityClientIP)))
		}
		if t := *spec.SessionAffinityConfig.ClientIP.TimeoutSeconds; t <= 0 || t > maxClientIPTimeoutSeconds {
			allErrs = append(allErrs, field.Invalid(cfgPath.Child("clientIP", "timeoutSeconds"), t,
				fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPTimeoutSeconds)))
		}
	case v1.ServiceAffinityNone:
		if spec.SessionAffinityConfig != nil {
			allErrs = append(allErrs, field.Invalid(cfgPath, spec.SessionAffinityConfig,
				fmt.Sprintf("must not be set when session affinity is %s", v1.ServiceAffinityNone)))
		}
	}
	return allErrs
}

func validateTrafficPolicies(spec *v1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	external := spec.Type == v1.ServiceTypeNodePort || spec.Type == v1.ServiceTypeLoadBalancer
	etpPath := specPath.Child("externalTrafficPolicy")
	if external {
		allErrs = append(allErrs, validateEnumField(etpPath, spec.ExternalTrafficPolicy,
			[]v1.ServiceExternalTrafficPolicy{v1.ServiceExternalTrafficPolicyCluster, v1.ServiceExternalTrafficPolicyLocal})...)
	} else if spec.ExternalTrafficPolicy != "" {
		allErrs = append(allErrs, field.Invalid(etpPath, spec.ExternalTrafficPolicy,
			fmt.Sprintf("may only be set when `type` is '%s' or '%s'", v1.ServiceTypeNodePort, v1.ServiceTypeLoadBalancer)))
	}
	if spec.Type != v1.ServiceTypeExternalName {
		itpPath := specPath.Child("internalTrafficPolicy")
		if spec.InternalTrafficPolicy == nil {
			allErrs = append(allErrs, field.Required(itpPath, ""))
		} else {
			allErrs = append(allErrs, validateEnumField(itpPath, *spec.InternalTrafficPolicy,
				[]v1.ServiceInternalTrafficPolicy{v1.ServiceInternalTrafficPolicyCluster, v1.ServiceInternalTrafficPolicyLocal})...)
		}
	}
	albPath := specPath.Child("allocateLoadBalancerNodePorts")
	if spec.Type == v1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts == nil {
		allErrs = append(allErrs, field.Required(albPath, ""))
	} else if spec.Type != v1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts != nil {
		allErrs = append(allErrs, field.Forbidden(albPath, "may only be used when `type` is 'LoadBalancer'"))
	}
	return allErrs
}

// ValidateServiceUpdate validates svc replacing old: the new spec must be
// valid and the cluster IP may not change, except when the service changes
// to or from type ExternalName.
func ValidateServiceUpdate(svc, old *v1.Service) field.ErrorList {
	allErrs := ValidateService(svc)
	specPath := field.NewPath("spec")
	if svc.Spec.Type == v1.ServiceTypeExternalName || old.Spec.Type == v1.ServiceTypeExternalName {
		return allErrs
	}
	if old.Spec.ClusterIP != "" && svc.Spec.ClusterIP != old.Spec.ClusterIP {
		allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIP"), svc.Spec.ClusterIP, "field is immutable"))
	} else if len(old.Spec.ClusterIPs) > 0 && len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIPs[0] != old.Spec.ClusterIPs[0] {
		allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), svc.Spec.ClusterIPs[0], "may not change once set"))
	}
	allErrs = append(allErrs, validateIPFamiliesUpdate(svc, old)...)
	return allErrs
}
