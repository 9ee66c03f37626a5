package apiserver

import (
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/apis/fieldtest"
)

func policyPtr(p corev1.IPFamilyPolicy) *corev1.IPFamilyPolicy { return &p }

func TestResolveIPFamilies(t *testing.T) {
	v4, v6 := corev1.IPv4Protocol, corev1.IPv6Protocol
	single, prefer, require := corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack
	selector := map[string]string{"app": "a"}
	for _, tc := range []struct {
		name       string
		cluster    []corev1.IPFamily
		spec       corev1.ServiceSpec
		old        *corev1.ServiceSpec
		wantPolicy corev1.IPFamilyPolicy
		wantFams   []corev1.IPFamily
		wantIPs    []string
		wantErrs   []string
	}{
		{name: "default single stack", cluster: []corev1.IPFamily{v4}, spec: corev1.ServiceSpec{Selector: selector},
			wantPolicy: single, wantFams: []corev1.IPFamily{v4}},
		{name: "prefer on single-stack cluster", cluster: []corev1.IPFamily{v4}, spec: corev1.ServiceSpec{Selector: selector, IPFamilyPolicy: &prefer},
			wantPolicy: prefer, wantFams: []corev1.IPFamily{v4}},
		{name: "prefer on dual-stack cluster", cluster: []corev1.IPFamily{v4, v6}, spec: corev1.ServiceSpec{Selector: selector, IPFamilyPolicy: &prefer},
			wantPolicy: prefer, wantFams: []corev1.IPFamily{v4, v6}},
		{name: "primary family from the ipv6-first cluster", cluster: []corev1.IPFamily{v6, v4}, spec: corev1.ServiceSpec{Selector: selector, IPFamilyPolicy: &require},
			wantPolicy: require, wantFams: []corev1.IPFamily{v6, v4}},
		{name: "requested ipv6 first", cluster: []corev1.IPFamily{v4, v6}, spec: corev1.ServiceSpec{Selector: selector, IPFamilyPolicy: &prefer, IPFamilies: []corev1.IPFamily{v6}},
			wantPolicy: prefer, wantFams: []corev1.IPFamily{v6, v4}},
		{name: "two families with default SingleStack", cluster: []corev1.IPFamily{v4, v6},
			spec: corev1.ServiceSpec{Selector: selector, IPFamilies: []corev1.IPFamily{v4, v6}}, wantErrs: []string{"FieldValueInvalid spec.ipFamilyPolicy"}},
		{name: "require on single-stack cluster", cluster: []corev1.IPFamily{v4}, spec: corev1.ServiceSpec{Selector: selector, IPFamilyPolicy: &require},
			wantErrs: []string{"FieldValueInvalid spec.ipFamilyPolicy"}},
		{name: "family not served", cluster: []corev1.IPFamily{v4}, spec: corev1.ServiceSpec{Selector: selector, IPFamilies: []corev1.IPFamily{v6}},
			wantErrs: []string{"FieldValueInvalid spec.ipFamilies[0]"}},
		{name: "family inferred from clusterIP", cluster: []corev1.IPFamily{v4, v6}, spec: corev1.ServiceSpec{Selector: selector, ClusterIP: "fd00::10"},
			wantPolicy: single, wantFams: []corev1.IPFamily{v6}, wantIPs: []string{"fd00::10"}},
		{name: "clusterIP of a family not served", cluster: []corev1.IPFamily{v4}, spec: corev1.ServiceSpec{Selector: selector, ClusterIP: "fd00::10"},
			wantErrs: []string{"FieldValueInvalid spec.clusterIPs[0]"}},
		{name: "headless selectorless is dual even on single-stack", cluster: []corev1.IPFamily{v4}, spec: corev1.ServiceSpec{ClusterIP: "None"},
			wantPolicy: require, wantFams: []corev1.IPFamily{v4, v6}, wantIPs: []string{"None"}},
		{name: "update keeps old policy", cluster: []corev1.IPFamily{v4, v6},
			spec:       corev1.ServiceSpec{Selector: selector, ClusterIP: "10.0.0.5", ClusterIPs: []string{"10.0.0.5", "fd00::5"}, IPFamilies: []corev1.IPFamily{v4, v6}},
			old:        &corev1.ServiceSpec{ClusterIPs: []string{"10.0.0.5", "fd00::5"}, IPFamilies: []corev1.IPFamily{v4, v6}, IPFamilyPolicy: &prefer},
			wantPolicy: prefer, wantFams: []corev1.IPFamily{v4, v6}, wantIPs: []string{"10.0.0.5", "fd00::5"}},
		{name: "downgrade to SingleStack drops secondary", cluster: []corev1.IPFamily{v4, v6},
			spec:       corev1.ServiceSpec{Selector: selector, ClusterIP: "10.0.0.5", ClusterIPs: []string{"10.0.0.5", "fd00::5"}, IPFamilies: []corev1.IPFamily{v4, v6}, IPFamilyPolicy: &single},
			old:        &corev1.ServiceSpec{ClusterIPs: []string{"10.0.0.5", "fd00::5"}, IPFamilies: []corev1.IPFamily{v4, v6}, IPFamilyPolicy: &prefer},
			wantPolicy: single, wantFams: []corev1.IPFamily{v4}, wantIPs: []string{"10.0.0.5"}},
		{name: "dropping the secondary needs SingleStack", cluster: []corev1.IPFamily{v4, v6},
			spec:     corev1.ServiceSpec{Selector: selector, ClusterIP: "10.0.0.5", ClusterIPs: []string{"10.0.0.5"}, IPFamilies: []corev1.IPFamily{v4}, IPFamilyPolicy: &prefer},
			old:      &corev1.ServiceSpec{ClusterIPs: []string{"10.0.0.5", "fd00::5"}, IPFamilies: []corev1.IPFamily{v4, v6}, IPFamilyPolicy: &prefer},
			wantErrs: []string{"FieldValueInvalid spec.ipFamilyPolicy", "FieldValueInvalid spec.ipFamilyPolicy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &corev1.Service{Spec: tc.spec}
			var old *corev1.Service
			if tc.old != nil {
				old = &corev1.Service{Spec: *tc.old}
			}
			errs := resolveIPFamilies(svc, old, tc.cluster)
			fieldtest.ExpectErrors(t, errs, tc.wantErrs...)
			if len(tc.wantErrs) > 0 {
				return
			}
			if svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != tc.wantPolicy {
				t.Errorf("policy = %v, want %s", svc.Spec.IPFamilyPolicy, tc.wantPolicy)
			}
			if !slices.Equal(svc.Spec.IPFamilies, tc.wantFams) {
				t.Errorf("families = %v, want %v", svc.Spec.IPFamilies, tc.wantFams)
			}
			if !slices.Equal(svc.Spec.ClusterIPs, tc.wantIPs) {
				t.Errorf("clusterIPs = %v, want %v", svc.Spec.ClusterIPs, tc.wantIPs)
			}
		})
	}
}

func TestHostRangeAndAddrAdd(t *testing.T) {
	for _, tc := range []struct {
		prefix     string
		lo, hi     uint64
		first, top string
	}{
		{"10.43.0.0/16", 1, 65534, "10.43.0.1", "10.43.255.254"},
		{"fd00:43::/112", 1, 65535, "fd00:43::1", "fd00:43::ffff"},
		{"fd00:43::/64", 1, 1<<20 - 1, "fd00:43::1", "fd00:43::f:ffff"},
		{"10.0.0.0/8", 1, 1<<20 - 1, "10.0.0.1", "10.15.255.255"},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			p := netip.MustParsePrefix(tc.prefix)
			lo, hi, err := hostRange(p)
			if err != nil || lo != tc.lo || hi != tc.hi {
				t.Fatalf("hostRange = %d, %d, %v; want %d, %d", lo, hi, err, tc.lo, tc.hi)
			}
			if got := addrAdd(p.Addr(), lo).String(); got != tc.first {
				t.Errorf("first = %s, want %s", got, tc.first)
			}
			if got := addrAdd(p.Addr(), hi).String(); got != tc.top {
				t.Errorf("last = %s, want %s", got, tc.top)
			}
		})
	}
	if got := addrAdd(netip.MustParseAddr("fd00::ffff:ffff:ffff:ffff"), 1).String(); got != "fd00:0:0:1::" {
		t.Errorf("carry: got %s", got)
	}
}
