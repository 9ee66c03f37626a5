package discovery

import (
	"net"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/core"
)

// Upstream's size limits of an EndpointSlice.
const (
	MaxEndpoints = 1000
	MaxPorts     = 20000
	MaxAddresses = 100
)

// DefaultEndpointSlice sets protocol TCP and an empty name on ports.
func DefaultEndpointSlice(s *discoveryv1.EndpointSlice) {
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == nil {
			tcp := corev1.ProtocolTCP
			p.Protocol = &tcp
		}
		if p.Name == nil {
			empty := ""
			p.Name = &empty
		}
	}
}

// ValidateEndpointSlice checks the address type, each endpoint (addresses
// valid for the type, hostname, nodeName) and the ports.
func ValidateEndpointSlice(s *discoveryv1.EndpointSlice) field.ErrorList {
	var allErrs field.ErrorList
	typePath := field.NewPath("addressType")
	supported := []discoveryv1.AddressType{discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}
	if !sets.New(supported...).Has(s.AddressType) {
		allErrs = append(allErrs, field.NotSupported(typePath, s.AddressType, supported))
	}
	epPath := field.NewPath("endpoints")
	if len(s.Endpoints) > MaxEndpoints {
		allErrs = append(allErrs, field.TooMany(epPath, len(s.Endpoints), MaxEndpoints))
	}
	for i := range s.Endpoints {
		allErrs = append(allErrs, validateEndpoint(&s.Endpoints[i], s.AddressType, epPath.Index(i))...)
	}
	return append(allErrs, validatePorts(s.Ports, field.NewPath("ports"))...)
}

func validateEndpoint(ep *discoveryv1.Endpoint, addressType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	addrPath := fldPath.Child("addresses")
	if len(ep.Addresses) == 0 {
		allErrs = append(allErrs, field.Required(addrPath, "must contain at least 1 address"))
	} else if len(ep.Addresses) > MaxAddresses {
		allErrs = append(allErrs, field.TooMany(addrPath, len(ep.Addresses), MaxAddresses))
	}
	for i, a := range ep.Addresses {
		allErrs = append(allErrs, validateAddress(a, addressType, addrPath.Index(i))...)
	}
	if ep.NodeName != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*ep.NodeName) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nodeName"), *ep.NodeName, msg))
		}
	}
	if ep.Hostname != nil {
		for _, msg := range validation.IsDNS1123Label(*ep.Hostname) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("hostname"), *ep.Hostname, msg))
		}
	}
	return allErrs
}

func validateAddress(a string, addressType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	switch addressType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		allErrs := validation.IsValidIPForLegacyField(fldPath, a, false, nil)
		if len(allErrs) > 0 {
			return allErrs
		}
		ip := net.ParseIP(a)
		if ip == nil {
			return allErrs
		}
		if addressType == discoveryv1.AddressTypeIPv4 && ip.To4() == nil {
			allErrs = append(allErrs, field.Invalid(fldPath, a, "must be an IPv4 address"))
		}
		if addressType == discoveryv1.AddressTypeIPv6 && ip.To4() != nil {
			allErrs = append(allErrs, field.Invalid(fldPath, a, "must be an IPv6 address"))
		}
		return append(allErrs, core.ValidateNonSpecialIP(a, fldPath)...)
	case discoveryv1.AddressTypeFQDN:
		return validation.IsFullyQualifiedDomainName(fldPath, a)
	}
	return nil
}

func validatePorts(ports []discoveryv1.EndpointPort, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(ports) > MaxPorts {
		allErrs = append(allErrs, field.TooMany(fldPath, len(ports), MaxPorts))
	}
	names := sets.New[string]()
	for i, p := range ports {
		idxPath := fldPath.Index(i)
		if p.Name != nil {
			namePath := idxPath.Child("name")
			if *p.Name != "" {
				for _, msg := range validation.IsDNS1123Label(*p.Name) {
					allErrs = append(allErrs, field.Invalid(namePath, *p.Name, msg))
				}
			}
			if names.Has(*p.Name) {
				allErrs = append(allErrs, field.Duplicate(namePath, *p.Name))
			}
			names.Insert(*p.Name)
		}
		protoPath := idxPath.Child("protocol")
		supported := []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}
		if p.Protocol == nil {
			allErrs = append(allErrs, field.Required(protoPath, ""))
		} else if !sets.New(supported...).Has(*p.Protocol) {
			allErrs = append(allErrs, field.NotSupported(protoPath, *p.Protocol, supported))
		}
		if p.Port != nil {
			for _, msg := range validation.IsInRange(int(*p.Port), 0, 65535) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("port"), *p.Port, msg))
			}
		}
		if p.AppProtocol != nil {
			for _, msg := range validation.IsQualifiedName(*p.AppProtocol) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("appProtocol"), *p.AppProtocol, msg))
			}
		}
	}
	return allErrs
}

// ValidateEndpointSliceUpdate validates the new slice and keeps addressType
// immutable.
func ValidateEndpointSliceUpdate(s, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := ValidateEndpointSlice(s)
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(s.AddressType, old.AddressType, field.NewPath("addressType"))...)
}
