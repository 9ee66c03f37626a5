package core

import (
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/apis/fieldtest"
)

func TestValidateServiceIPFamilies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1.Service)
		want   []string
	}{
		{"dual-stack ips and families", func(s *v1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10", "fd00::10"}
			s.Spec.IPFamilies = []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol}
			s.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicyRequireDualStack)
		}, nil},
		{"families without ips", func(s *v1.Service) {
			s.Spec.IPFamilies = []v1.IPFamily{v1.IPv6Protocol, v1.IPv4Protocol}
		}, nil},
		{"unknown family", func(s *v1.Service) { s.Spec.IPFamilies = []v1.IPFamily{"IPv5"} },
			[]string{"FieldValueNotSupported spec.ipFamilies[0]"}},
		{"duplicate family", func(s *v1.Service) { s.Spec.IPFamilies = []v1.IPFamily{v1.IPv4Protocol, v1.IPv4Protocol} },
			[]string{"FieldValueDuplicate spec.ipFamilies[1]"}},
		{"unknown policy", func(s *v1.Service) { s.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicy("Both")) },
			[]string{"FieldValueNotSupported spec.ipFamilyPolicy"}},
		{"two ips of one family", func(s *v1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10", "10.96.0.11"}
		}, []string{"FieldValueInvalid spec.clusterIPs"}},
		{"ip does not match family", func(s *v1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10"}
			s.Spec.IPFamilies = []v1.IPFamily{v1.IPv6Protocol}
		}, []string{"FieldValueInvalid spec.clusterIPs[0]"}},
		{"families on external name", func(s *v1.Service) {
			s.Spec.Type, s.Spec.ExternalName, s.Spec.InternalTrafficPolicy = v1.ServiceTypeExternalName, "example.com", nil
			s.Spec.IPFamilies = []v1.IPFamily{v1.IPv4Protocol}
			s.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicySingleStack)
		}, []string{"FieldValueForbidden spec.ipFamilies", "FieldValueForbidden spec.ipFamilyPolicy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validService()
			tc.mutate(s)
			fieldtest.ExpectErrors(t, ValidateService(s), tc.want...)
		})
	}
}

func TestValidateServiceUpdateIPFamilies(t *testing.T) {
	old := validService()
	old.Spec.ClusterIP, old.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10"}
	old.Spec.IPFamilies = []v1.IPFamily{v1.IPv4Protocol}
	old.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicySingleStack)
	for _, tc := range []struct {
		name   string
		mutate func(*v1.Service)
		want   []string
	}{
		{"add secondary family", func(s *v1.Service) {
			s.Spec.IPFamilies = []v1.IPFamily{v1.IPv4Protocol, v1.IPv6Protocol}
			s.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicyPreferDualStack)
		}, nil},
		{"change primary family", func(s *v1.Service) {
			s.Spec.IPFamilies = []v1.IPFamily{v1.IPv6Protocol, v1.IPv4Protocol}
			s.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicyPreferDualStack)
		}, []string{"FieldValueInvalid spec.clusterIPs[0]", "FieldValueInvalid spec.ipFamilies[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := old.DeepCopy()
			tc.mutate(s)
			fieldtest.ExpectErrors(t, ValidateServiceUpdate(s, old), tc.want...)
		})
	}
}

func TestPrepareServiceForUpdateDropsFamiliesForExternalName(t *testing.T) {
	old := validService()
	old.Spec.IPFamilies = []v1.IPFamily{v1.IPv4Protocol}
	old.Spec.IPFamilyPolicy = ptr(v1.IPFamilyPolicySingleStack)
	svc := old.DeepCopy()
	svc.Spec.Type, svc.Spec.ExternalName = v1.ServiceTypeExternalName, "example.com"
	PrepareServiceForUpdate(svc, old)
	if svc.Spec.IPFamilies != nil || svc.Spec.IPFamilyPolicy != nil {
		t.Errorf("families %v policy %v kept on ExternalName", svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy)
	}
	kept := old.DeepCopy()
	PrepareServiceForUpdate(kept, old)
	if len(kept.Spec.IPFamilies) != 1 || kept.Spec.IPFamilyPolicy == nil {
		t.Errorf("families dropped on a ClusterIP update: %+v", kept.Spec)
	}
}
