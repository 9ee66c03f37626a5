package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestDefaultService(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   v1.ServiceSpec
		want v1.ServiceSpec
	}{
		{
			name: "cluster ip",
			in:   v1.ServiceSpec{Ports: []v1.ServicePort{{Port: 80}, {Port: 53, Protocol: v1.ProtocolUDP, TargetPort: intstr.FromString("dns")}}},
			want: v1.ServiceSpec{
				Type:                  v1.ServiceTypeClusterIP,
				SessionAffinity:       v1.ServiceAffinityNone,
				InternalTrafficPolicy: ptr(v1.ServiceInternalTrafficPolicyCluster),
				Ports: []v1.ServicePort{
					{Port: 80, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
					{Port: 53, Protocol: v1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				},
			},
		},
		{
			name: "load balancer with client ip affinity",
			in:   v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, SessionAffinity: v1.ServiceAffinityClientIP},
			want: v1.ServiceSpec{
				Type:                          v1.ServiceTypeLoadBalancer,
				SessionAffinity:               v1.ServiceAffinityClientIP,
				SessionAffinityConfig:         &v1.SessionAffinityConfig{ClientIP: &v1.ClientIPConfig{TimeoutSeconds: ptr(int32(10800))}},
				ExternalTrafficPolicy:         v1.ServiceExternalTrafficPolicyCluster,
				InternalTrafficPolicy:         ptr(v1.ServiceInternalTrafficPolicyCluster),
				AllocateLoadBalancerNodePorts: ptr(true),
			},
		},
		{
			name: "external name",
			in:   v1.ServiceSpec{Type: v1.ServiceTypeExternalName, ExternalName: "example.com"},
			want: v1.ServiceSpec{Type: v1.ServiceTypeExternalName, ExternalName: "example.com", SessionAffinity: v1.ServiceAffinityNone},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &v1.Service{Spec: tc.in}
			DefaultService(svc)
			if !equality.Semantic.DeepEqual(svc.Spec, tc.want) {
				t.Errorf("got %+v\nwant %+v", svc.Spec, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func validService() *v1.Service {
	svc := &v1.Service{Spec: v1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []v1.ServicePort{{Port: 80}},
	}}
	DefaultService(svc)
	return svc
}

func TestValidateService(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1.Service)
		want   []string
	}{
		{"valid", func(*v1.Service) {}, nil},
		{"no ports", func(s *v1.Service) { s.Spec.Ports = nil }, []string{"FieldValueRequired spec.ports"}},
		{"headless without ports", func(s *v1.Service) { s.Spec.Ports = nil; s.Spec.ClusterIP = "None" }, nil},
		{"two ports need names", func(s *v1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: "b", Port: 81, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(81)})
		}, []string{"FieldValueRequired spec.ports[0].name"}},
		{"duplicate port names", func(s *v1.Service) {
			s.Spec.Ports[0].Name = "a"
			s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: "a", Port: 81, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(81)})
		}, []string{"FieldValueDuplicate spec.ports[1].name"}},
		{"port zero", func(s *v1.Service) { s.Spec.Ports[0].Port = 0 }, []string{"FieldValueInvalid spec.ports[0].port"}},
		{"node port on cluster ip", func(s *v1.Service) { s.Spec.Ports[0].NodePort = 30080 }, []string{"FieldValueForbidden spec.ports[0].nodePort"}},
		{"bad type", func(s *v1.Service) { s.Spec.Type = "Magic" }, []string{"FieldValueNotSupported spec.type"}},
		{"external name missing", func(s *v1.Service) {
			s.Spec.Type = v1.ServiceTypeExternalName
			s.Spec.InternalTrafficPolicy = nil
		}, []string{"FieldValueRequired spec.externalName"}},
		{"bad cluster ip", func(s *v1.Service) { s.Spec.ClusterIP = "10.0.0" }, []string{"FieldValueInvalid spec.clusterIP"}},
		{"bad selector", func(s *v1.Service) { s.Spec.Selector = map[string]string{"app": "a b"} }, []string{"FieldValueInvalid spec.selector"}},
		{"external policy on cluster ip", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal },
			[]string{"FieldValueInvalid spec.externalTrafficPolicy"}},
		{"affinity timeout too big", func(s *v1.Service) {
			s.Spec.SessionAffinity = v1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &v1.SessionAffinityConfig{ClientIP: &v1.ClientIPConfig{TimeoutSeconds: ptr(int32(90000))}}
		}, []string{"FieldValueInvalid spec.sessionAffinityConfig.clientIP.timeoutSeconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validService()
			tc.mutate(s)
			fieldtest.ExpectErrors(t, ValidateService(s), tc.want...)
		})
	}
}

func TestValidateServiceUpdate(t *testing.T) {
	old := validService()
	old.Spec.ClusterIP = "10.96.0.10"
	old.Spec.ClusterIPs = []string{"10.96.0.10"}
	for _, tc := range []struct {
		name   string
		mutate func(*v1.Service)
		want   []string
	}{
		{"same", func(*v1.Service) {}, nil},
		{"cluster ip changed", func(s *v1.Service) {
			s.Spec.ClusterIP = "10.96.0.11"
			s.Spec.ClusterIPs = []string{"10.96.0.11"}
		}, []string{"FieldValueInvalid spec.clusterIP"}},
		{"to external name", func(s *v1.Service) {
			s.Spec.Type = v1.ServiceTypeExternalName
			s.Spec.ExternalName = "example.com"
			s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.InternalTrafficPolicy = "", nil, nil
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := old.DeepCopy()
			tc.mutate(s)
			fieldtest.ExpectErrors(t, ValidateServiceUpdate(s, old), tc.want...)
		})
	}
}

func TestPrepareServiceForUpdateKeepsAllocations(t *testing.T) {
	old := validService()
	old.Spec.Type = v1.ServiceTypeNodePort
	old.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyCluster
	old.Spec.ClusterIP, old.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10"}
	old.Spec.Ports[0].NodePort = 30080
	svc := old.DeepCopy()
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
	svc.Spec.Ports[0].NodePort = 0
	PrepareServiceForUpdate(svc, old)
	if svc.Spec.ClusterIP != "10.96.0.10" || len(svc.Spec.ClusterIPs) != 1 || svc.Spec.Ports[0].NodePort != 30080 {
		t.Fatalf("allocations not carried over: %+v", svc.Spec)
	}
	if errs := ValidateServiceUpdate(svc, old); len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
}
