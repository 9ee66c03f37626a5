package apiserver_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func dualStackServer(t *testing.T) *apiservertest.Server {
	_, v6, err := net.ParseCIDR("fd00:43::/112")
	if err != nil {
		t.Fatal(err)
	}
	return apiservertest.Start(t, func(c *apiserver.Config) { c.SecondaryServiceCIDR = v6 })
}

func svcWithPolicy(name string, p corev1.IPFamilyPolicy) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, IPFamilyPolicy: &p,
			Ports: []corev1.ServicePort{{Port: 80}}}}
}

func TestDualStackServiceAllocation(t *testing.T) {
	ctx := context.Background()
	svcs := dualStackServer(t).Clientset(t, true).CoreV1().Services("default")
	created, err := svcs.Create(ctx, svcWithPolicy("prefer", corev1.IPFamilyPolicyPreferDualStack), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ips := created.Spec.ClusterIPs
	if len(ips) != 2 || ips[0] != created.Spec.ClusterIP {
		t.Fatalf("clusterIPs = %v (clusterIP %s), want two with the primary first", ips, created.Spec.ClusterIP)
	}
	if !netip.MustParsePrefix("10.43.0.0/16").Contains(netip.MustParseAddr(ips[0])) ||
		!netip.MustParsePrefix("fd00:43::/112").Contains(netip.MustParseAddr(ips[1])) {
		t.Errorf("clusterIPs %v not from 10.43.0.0/16 and fd00:43::/112", ips)
	}
	if fams := created.Spec.IPFamilies; len(fams) != 2 || fams[0] != corev1.IPv4Protocol || fams[1] != corev1.IPv6Protocol {
		t.Errorf("ipFamilies = %v", fams)
	}

	// Single stack first, then upgraded to dual-stack by changing the policy.
	single, err := svcs.Create(ctx, svcWithPolicy("single", corev1.IPFamilyPolicySingleStack), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(single.Spec.ClusterIPs) != 1 || len(single.Spec.IPFamilies) != 1 {
		t.Fatalf("single stack got %v %v", single.Spec.ClusterIPs, single.Spec.IPFamilies)
	}
	require := corev1.IPFamilyPolicyRequireDualStack
	single.Spec.IPFamilyPolicy = &require
	upgraded, err := svcs.Update(ctx, single, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(upgraded.Spec.ClusterIPs) != 2 || upgraded.Spec.ClusterIPs[0] != single.Spec.ClusterIP {
		t.Fatalf("upgrade gave %v, want the old primary plus an IPv6", upgraded.Spec.ClusterIPs)
	}
	secondary := upgraded.Spec.ClusterIPs[1]

	// Downgrade releases the secondary, which a new Service may then ask for.
	one := corev1.IPFamilyPolicySingleStack
	upgraded.Spec.IPFamilyPolicy = &one
	down, err := svcs.Update(ctx, upgraded, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(down.Spec.ClusterIPs) != 1 || len(down.Spec.IPFamilies) != 1 {
		t.Fatalf("downgrade kept %v %v", down.Spec.ClusterIPs, down.Spec.IPFamilies)
	}
	reuse := svcWithPolicy("reuse", corev1.IPFamilyPolicySingleStack)
	reuse.Spec.ClusterIP = secondary
	if _, err := svcs.Create(ctx, reuse, metav1.CreateOptions{}); err != nil {
		t.Fatalf("released secondary %s not reusable: %v", secondary, err)
	}

	// An IP already held by another Service is refused.
	taken := svcWithPolicy("taken", corev1.IPFamilyPolicySingleStack)
	taken.Spec.ClusterIP = ips[1]
	if _, err := svcs.Create(ctx, taken, metav1.CreateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "provided IP is already allocated") {
		t.Errorf("taken IPv6 clusterIP: err = %v", err)
	}
}

func TestSingleStackClusterRejectsRequireDualStack(t *testing.T) {
	ctx := context.Background()
	svcs := apiservertest.Start(t, nil).Clientset(t, false).CoreV1().Services("default")
	for _, tc := range []struct {
		name    string
		mutate  func(*corev1.Service)
		wantErr string
	}{
		{"require", func(*corev1.Service) {},
			`Service "require" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{"ipv6", func(s *corev1.Service) {
			p := corev1.IPFamilyPolicySingleStack
			s.Spec.IPFamilyPolicy, s.Spec.IPFamilies = &p, []corev1.IPFamily{corev1.IPv6Protocol}
		}, `Service "ipv6" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := svcWithPolicy(tc.name, corev1.IPFamilyPolicyRequireDualStack)
			tc.mutate(svc)
			_, err := svcs.Create(ctx, svc, metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) || err.Error() != tc.wantErr {
				t.Fatalf("err = %v\nwant 422 %s", err, tc.wantErr)
			}
		})
	}
	prefer, err := svcs.Create(ctx, svcWithPolicy("prefer", corev1.IPFamilyPolicyPreferDualStack), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(prefer.Spec.ClusterIPs) != 1 || len(prefer.Spec.IPFamilies) != 1 || prefer.Spec.IPFamilies[0] != corev1.IPv4Protocol {
		t.Errorf("PreferDualStack on single-stack: %v %v", prefer.Spec.ClusterIPs, prefer.Spec.IPFamilies)
	}
}
