package proxy

import (
	"fmt"
	"net"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// benchCluster makes n services with eps endpoints each (eps ≤ 100).
func benchCluster(n, eps int) ([]*corev1.Service, []*discoveryv1.EndpointSlice) {
	var svcs []*corev1.Service
	var slices []*discoveryv1.EndpointSlice
	for i := range n {
		name := fmt.Sprintf("svc-%d", i)
		svcs = append(svcs, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench"},
			Spec: corev1.ServiceSpec{
				ClusterIP: fmt.Sprintf("172.30.%d.%d", i/250, i%250+1),
				Type:      corev1.ServiceTypeNodePort,
				Ports:     []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: int32(30000 + i%2768)}},
			},
		})
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name + "-1", Namespace: "bench", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		}
		for j := range eps {
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
				Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 100+j, i/250, i%250+1)},
				NodeName:  ptr.To(fmt.Sprintf("node-%d", j)),
			})
		}
		slices = append(slices, slice)
	}
	return svcs, slices
}

func BenchmarkRuleset(b *testing.B) {
	_, cidr, _ := net.ParseCIDR("10.0.0.0/8")
	cfg := Config{NodeName: "node-0", NodeIPs: []net.IP{net.ParseIP("192.168.0.10")}, ClusterCIDR: cidr}
	for _, n := range []int{100, 1000, 5000} {
		svcs, slices := benchCluster(n, 3)
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := Ruleset(cfg, svcs, slices); len(r.Chains) < n {
					b.Fatalf("only %d chains", len(r.Chains))
				}
			}
		})
	}
}
