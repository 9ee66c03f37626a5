package dns

import (
	"context"
	"fmt"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
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

// BenchmarkUDPQueries asks a real server over UDP, one client with one
// connection, one query at a time: the queries/s a pod's resolver sees.
func BenchmarkUDPQueries(b *testing.B) {
	srv := apiservertest.Start(b, nil)
	cs := srv.Clientset(b, false)
	ctx := context.Background()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	addr := startDNS(b, cs, "127.0.0.1:1")
	req := new(mdns.Msg)
	req.SetQuestion("web.default.svc.cluster.local.", mdns.TypeA)
	eventually(b, "udp", addr, req, func(m *mdns.Msg) error {
		if len(m.Answer) != 1 {
			return fmt.Errorf("answer %v", m.Answer)
		}
		return nil
	})
	c := &mdns.Client{Net: "udp", Timeout: 2 * time.Second}
	conn, err := c.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, _, err := c.ExchangeWithConn(req.Copy(), conn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
}
