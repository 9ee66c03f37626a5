package discovery

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// expectErrors fails unless errs are exactly want ("<type> <field>").
func ptr[T any](v T) *T { return &v }

func TestDefaultEndpointSlice(t *testing.T) {
	s := &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptr(int32(80))}, {Name: ptr("x"), Protocol: ptr(corev1.ProtocolUDP)}}}
	DefaultEndpointSlice(s)
	if *s.Ports[0].Protocol != corev1.ProtocolTCP || *s.Ports[0].Name != "" || *s.Ports[1].Protocol != corev1.ProtocolUDP || *s.Ports[1].Name != "x" {
		t.Errorf("got %+v", s.Ports)
	}
}

func TestValidateEndpointSlice(t *testing.T) {
	many := make([]discoveryv1.Endpoint, MaxEndpoints+1)
	for i := range many {
		many[i] = discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"}}
	}
	for _, tc := range []struct {
		name      string
		typ       discoveryv1.AddressType
		endpoints []discoveryv1.Endpoint
		ports     []discoveryv1.EndpointPort
		want      []string
	}{
		{"valid ipv4", discoveryv1.AddressTypeIPv4, []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, NodeName: ptr("n1"), Hostname: ptr("web-0")}},
			[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(80)), Protocol: ptr(corev1.ProtocolTCP)}, {Name: ptr(""), Port: ptr(int32(53)), Protocol: ptr(corev1.ProtocolUDP)}}, nil},
		{"valid fqdn", discoveryv1.AddressTypeFQDN, []discoveryv1.Endpoint{{Addresses: []string{"db.example.com"}}}, nil, nil},
		{"bad address type", "IPX", nil, nil, []string{"FieldValueNotSupported addressType"}},
		{"addresses per type", discoveryv1.AddressTypeIPv4, []discoveryv1.Endpoint{{Addresses: []string{"fd00::1"}}, {},
			{Addresses: []string{"127.0.0.1"}}, {Addresses: []string{"x"}}}, nil,
			[]string{"FieldValueInvalid endpoints[0].addresses[0]", "FieldValueRequired endpoints[1].addresses",
				"FieldValueInvalid endpoints[2].addresses[0]", "FieldValueInvalid endpoints[3].addresses[0]"}},
		{"ipv6 slice with ipv4", discoveryv1.AddressTypeIPv6, []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}}}, nil,
			[]string{"FieldValueInvalid endpoints[0].addresses[0]"}},
		{"bad fqdn and hostname", discoveryv1.AddressTypeFQDN, []discoveryv1.Endpoint{{Addresses: []string{"nodot"}, Hostname: ptr("A_B")}}, nil,
			[]string{"FieldValueInvalid endpoints[0].addresses[0]", "FieldValueInvalid endpoints[0].hostname"}},
		{"too many endpoints", discoveryv1.AddressTypeIPv4, many, nil, []string{"FieldValueTooMany endpoints"}},
		{"ports", discoveryv1.AddressTypeIPv4, nil, []discoveryv1.EndpointPort{{Name: ptr("a"), Protocol: ptr(corev1.ProtocolTCP)},
			{Name: ptr("a"), Protocol: ptr(corev1.Protocol("HTTP")), Port: ptr(int32(70000))}, {Name: ptr("Bad_Name")}},
			[]string{"FieldValueDuplicate ports[1].name", "FieldValueNotSupported ports[1].protocol", "FieldValueInvalid ports[1].port",
				"FieldValueInvalid ports[2].name", "FieldValueRequired ports[2].protocol"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &discoveryv1.EndpointSlice{AddressType: tc.typ, Endpoints: tc.endpoints, Ports: tc.ports}
			fieldtest.ExpectErrors(t, ValidateEndpointSlice(s), tc.want...)
		})
	}
}

func TestValidateEndpointSliceUpdate(t *testing.T) {
	old := &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4}
	s := &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv6}
	fieldtest.ExpectErrors(t, ValidateEndpointSliceUpdate(s, old), "FieldValueInvalid addressType")
	fieldtest.ExpectErrors(t, ValidateEndpointSliceUpdate(old.DeepCopy(), old))
}
