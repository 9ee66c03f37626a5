package dns

import (
	"fmt"
	"testing"

	mdns "github.com/miekg/dns"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// BenchmarkResolve measures in-zone answers by cluster size: a ClusterIP
// lookup among n Services, and the A records of a headless Service with
// n/10 endpoints.
func BenchmarkResolve(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		objs := []any{headlessService("default", "big", false, svcPort("http", corev1.ProtocolTCP, 80))}
		for i := range n {
			objs = append(objs, clusterIPService("default", fmt.Sprintf("svc-%d", i),
				[]string{fmt.Sprintf("10.43.%d.%d", i/250, i%250+1)}, svcPort("http", corev1.ProtocolTCP, 80)))
		}
		var eps []testEndpoint
		for i := range n / 10 {
			eps = append(eps, testEndpoint{addr: fmt.Sprintf("10.42.%d.%d", i/250, i%250+1), ready: true})
		}
		objs = append(objs, endpointSlice("default", "big-1", "big", discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{slicePort("http", corev1.ProtocolTCP, 80)}, eps...))
		r := NewResolver(NewZone("", testCatalog(b, objs...), 1), nil, nil, nil)
		for _, q := range []struct{ kind, name string }{
			{"clusterip", fmt.Sprintf("svc-%d.default.svc.cluster.local.", n/2)},
			{"headless", "big.default.svc.cluster.local."},
		} {
			b.Run(fmt.Sprintf("%s/%d", q.kind, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r.Resolve(b.Context(), query(q.name, mdns.TypeA))
				}
			})
		}
	}
}
