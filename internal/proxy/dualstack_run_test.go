package proxy

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"
)

// TestRunDualStackProgramsBothTables: with an IPv4,IPv6 pod network each
// family's cluster IP and endpoints land in its own table, and both tables
// go when Run returns.
func TestRunDualStackProgramsBothTables(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns1"},
		Spec: corev1.ServiceSpec{
			ClusterIP: "172.30.0.10", ClusterIPs: []string{"172.30.0.10", "fd00:43::10"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	slice := func(name string, typ discoveryv1.AddressType, ip string) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "ns1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: typ,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}}},
		}
	}
	client := fake.NewClientset(svc, slice("web-4", discoveryv1.AddressTypeIPv4, "10.244.0.5"), slice("web-6", discoveryv1.AddressTypeIPv6, "fd00:42::5"))
	nft := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	nft6 := knftables.NewFake(knftables.IPv6Family, "capstan-proxy")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Client: client, NodeName: "node-a", NFT: nft, NFT6: nft6, MinSyncPeriod: time.Millisecond,
			ClusterCIDR: "10.244.0.0/16,fd00:42::/56", Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	}()
	waitFor(t, "both tables' DNAT rules", func() bool {
		return strings.Contains(nft.Dump(), "map { 0 : 10.244.0.5 . 8080 }") && strings.Contains(nft6.Dump(), "map { 0 : fd00:42::5 . 8080 }")
	})
	if d := nft.Dump(); strings.Contains(d, "fd00:") {
		t.Errorf("IPv6 addresses in the ip table:\n%s", d)
	}
	if d := nft6.Dump(); strings.Contains(d, "172.30.0.10") || strings.Contains(d, "10.244.0.5") ||
		!strings.Contains(d, "ip6 saddr != fd00:42::/56") {
		t.Errorf("ip6 table does not hold exactly the IPv6 side:\n%s", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := nft.Dump() + nft6.Dump(); d != "" {
		t.Errorf("tables left after Run returned:\n%s", d)
	}
}
