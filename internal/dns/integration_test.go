package dns

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// startDNS runs the cluster DNS server against client on 127.0.0.1:0 with
// one upstream and returns its address; it stops when the test ends.
func startDNS(t testing.TB, client kubernetes.Interface, upstream string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Listen(ctx, Options{Client: client, Listen: "127.0.0.1:0", Upstreams: []string{upstream},
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s.Addr()
}

// eventually asks addr over net until check accepts the reply or 15s pass.
func eventually(t testing.TB, netw, addr string, req *mdns.Msg, check func(*mdns.Msg) error) *mdns.Msg {
	t.Helper()
	c := &mdns.Client{Net: netw, Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _, err := c.Exchange(req.Copy(), addr)
		if err == nil {
			err = check(resp)
		}
		if err == nil {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s over %s: %v", req.Question[0].Name, mdns.TypeToString[req.Question[0].Qtype], netw, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func wantAnswer(rcode int, answers ...string) func(*mdns.Msg) error {
	return func(resp *mdns.Msg) error {
		got := rrStrings(resp.Answer)
		if resp.Rcode != rcode || !slices.Equal(got, answers) {
			return fmt.Errorf("got %s %q, want %s %q", mdns.RcodeToString[resp.Rcode], got, mdns.RcodeToString[rcode], answers)
		}
		return nil
	}
}

func TestServerAgainstAPIServer(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, true)
	ctx := t.Context()
	var upstreamQueries atomic.Int32
	addr := startDNS(t, client, startUpstream(t, answering(&upstreamQueries, "192.0.2.9")))

	web := createFixtures(t, client)

	eventually(t, "udp", addr, query("web.default.svc.cluster.local.", mdns.TypeA),
		wantAnswer(mdns.RcodeSuccess, "web.default.svc.cluster.local. 5 IN A 10.43.1.20"))
	eventually(t, "tcp", addr, query("kube-dns.kube-system.svc.cluster.local.", mdns.TypeA),
		wantAnswer(mdns.RcodeSuccess, "kube-dns.kube-system.svc.cluster.local. 5 IN A 10.43.0.10"))
	eventually(t, "udp", addr, query("_dns-tcp._tcp.kube-dns.kube-system.svc.cluster.local.", mdns.TypeSRV),
		wantAnswer(mdns.RcodeSuccess, "_dns-tcp._tcp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.cluster.local."))
	eventually(t, "udp", addr, query("db-07.db.default.svc.cluster.local.", mdns.TypeA),
		wantAnswer(mdns.RcodeSuccess, "db-07.db.default.svc.cluster.local. 5 IN A 10.42.1.8"))
	eventually(t, "udp", addr, query("example.org.", mdns.TypeA),
		wantAnswer(mdns.RcodeSuccess, "example.org. 20 IN A 192.0.2.9"))

	// 40 A records do not fit in 512 bytes: UDP truncates, TCP does not.
	big := query("db.default.svc.cluster.local.", mdns.TypeA)
	eventually(t, "udp", addr, big, func(resp *mdns.Msg) error {
		if !resp.Truncated || len(resp.Answer) >= 40 {
			return fmt.Errorf("UDP reply truncated %v with %d answers, want truncated", resp.Truncated, len(resp.Answer))
		}
		return nil
	})
	eventually(t, "tcp", addr, big, func(resp *mdns.Msg) error {
		if resp.Truncated || len(resp.Answer) != 40 {
			return fmt.Errorf("TCP reply truncated %v with %d answers, want all 40", resp.Truncated, len(resp.Answer))
		}
		return nil
	})

	// Two questions are rejected with FORMERR on the wire.
	two := query("web.default.svc.cluster.local.", mdns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	eventually(t, "udp", addr, two, func(resp *mdns.Msg) error {
		if resp.Rcode != mdns.RcodeFormatError {
			return fmt.Errorf("rcode %s, want FORMERR", mdns.RcodeToString[resp.Rcode])
		}
		return nil
	})

	// Deleting the Service turns the name into NXDOMAIN.
	if err := client.CoreV1().Services("default").Delete(ctx, web.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "udp", addr, query("web.default.svc.cluster.local.", mdns.TypeA), func(resp *mdns.Msg) error {
		if resp.Rcode != mdns.RcodeNameError || len(resp.Ns) != 1 || resp.Ns[0].Header().Rrtype != mdns.TypeSOA {
			return fmt.Errorf("rcode %s authority %v, want NXDOMAIN with SOA", mdns.RcodeToString[resp.Rcode], resp.Ns)
		}
		return nil
	})

	// Garbage on the wire does not stop the server.
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte{0xde, 0xad, 0xbe, 0xef, 0xff})
	conn.Close()
	eventually(t, "udp", addr, query("db-00.db.default.svc.cluster.local.", mdns.TypeA),
		wantAnswer(mdns.RcodeSuccess, "db-00.db.default.svc.cluster.local. 5 IN A 10.42.1.1"))
}

// createFixtures creates kube-dns, a ClusterIP Service "web" and a headless
// Service "db" with 40 ready endpoints db-00…db-39, and returns web.
func createFixtures(t *testing.T, client kubernetes.Interface) *corev1.Service {
	t.Helper()
	ctx := t.Context()
	if err := EnsureService(ctx, client, "10.43.0.10"); err != nil {
		t.Fatalf("EnsureService: %v", err)
	}
	web, err := client.CoreV1().Services("default").Create(ctx, clusterIPService("default", "web", []string{"10.43.1.20"},
		svcPort("http", corev1.ProtocolTCP, 80)), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Services("default").Create(ctx, headlessService("default", "db", false,
		svcPort("pg", corev1.ProtocolTCP, 5432)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var eps []testEndpoint
	for i := range 40 {
		eps = append(eps, testEndpoint{addr: fmt.Sprintf("10.42.1.%d", i+1), hostname: fmt.Sprintf("db-%02d", i), ready: true})
	}
	es := endpointSlice("default", "db-1", "db", discoveryv1.AddressTypeIPv4,
		[]discoveryv1.EndpointPort{slicePort("pg", corev1.ProtocolTCP, 5432)}, eps...)
	if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	return web
}

func TestEnsureService(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, false)
	ctx := t.Context()
	if err := EnsureService(ctx, client, "10.43.0.10"); err != nil {
		t.Fatalf("first EnsureService: %v", err)
	}
	if err := EnsureService(ctx, client, "10.43.0.10"); err != nil {
		t.Fatalf("second EnsureService: %v", err)
	}
	if err := EnsureService(ctx, client, "10.43.0.11"); err == nil {
		t.Error("EnsureService with another cluster IP gave no error")
	}
	svc, err := client.CoreV1().Services("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		ports = append(ports, fmt.Sprintf("%s %d/%s", p.Name, p.Port, p.Protocol))
	}
	if want := []string{"dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"}; !slices.Equal(ports, want) {
		t.Errorf("ports %q, want %q", ports, want)
	}
	if svc.Spec.Selector != nil || svc.Labels["k8s-app"] != "kube-dns" || svc.Labels["kubernetes.io/name"] != "KubeDNS" {
		t.Errorf("selector %v labels %v", svc.Spec.Selector, svc.Labels)
	}
}

func TestEnsureEndpoints(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	for _, addrs := range [][]string{{"192.0.2.10"}, {"192.0.2.10", "192.0.2.11"}} {
		if err := EnsureEndpoints(ctx, cs, addrs, 10053); err != nil {
			t.Fatal(err)
		}
		ep, err := cs.CoreV1().Endpoints(ServiceNamespace).Get(ctx, ServiceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != len(addrs) || len(ep.Subsets[0].Ports) != 2 ||
			ep.Subsets[0].Ports[0].Port != 10053 || ep.Subsets[0].Ports[1].Name != "dns-tcp" {
			t.Errorf("endpoints %+v for %v", ep.Subsets, addrs)
		}
	}
}
