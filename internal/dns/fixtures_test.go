package dns

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// testCatalog returns an IndexerCatalog holding objs.
func testCatalog(t testing.TB, objs ...any) IndexerCatalog {
	t.Helper()
	c := IndexerCatalog{
		ServiceCache:       cache.NewIndexer(cache.MetaNamespaceKeyFunc, ServiceIndexers()),
		EndpointSliceCache: cache.NewIndexer(cache.MetaNamespaceKeyFunc, EndpointSliceIndexers()),
	}
	for _, o := range objs {
		var err error
		switch o.(type) {
		case *corev1.Service:
			err = c.ServiceCache.Add(o)
		case *discoveryv1.EndpointSlice:
			err = c.EndpointSliceCache.Add(o)
		default:
			t.Fatalf("unexpected fixture %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func clusterIPService(ns, name string, ips []string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: ips[0], ClusterIPs: ips, Ports: ports},
	}
}

func headlessService(ns, name string, publishNotReady bool, ports ...corev1.ServicePort) *corev1.Service {
	svc := clusterIPService(ns, name, []string{corev1.ClusterIPNone}, ports...)
	svc.Spec.PublishNotReadyAddresses = publishNotReady
	return svc
}

func externalNameService(ns, name, target string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: target},
	}
}

func withPorts(svc *corev1.Service, ports ...corev1.ServicePort) *corev1.Service {
	svc.Spec.Ports = ports
	return svc
}

func svcPort(name string, proto corev1.Protocol, port int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: port}
}

// testEndpoint is an endpoint: address, hostname ("" for none), readiness.
type testEndpoint struct {
	addr, hostname string
	ready          bool
}

func endpointSlice(ns, name, service string, family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...testEndpoint) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: family,
		Ports:       ports,
	}
	for _, e := range eps {
		ep := discoveryv1.Endpoint{Addresses: []string{e.addr}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready)}}
		if e.hostname != "" {
			ep.Hostname = ptr.To(e.hostname)
		}
		es.Endpoints = append(es.Endpoints, ep)
	}
	return es
}

func slicePort(name string, proto corev1.Protocol, port int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Protocol: ptr.To(proto), Port: ptr.To(port)}
}

// exchangeFunc adapts a function to Exchanger.
type exchangeFunc func(ctx context.Context, req *mdns.Msg) (*mdns.Msg, error)

func (f exchangeFunc) Exchange(ctx context.Context, req *mdns.Msg) (*mdns.Msg, error) {
	return f(ctx, req)
}

// staticUpstream answers A queries for the names in addrs and fails for
// every other name.
func staticUpstream(addrs map[string]string) exchangeFunc {
	return func(_ context.Context, req *mdns.Msg) (*mdns.Msg, error) {
		q := req.Question[0]
		ip, ok := addrs[strings.ToLower(q.Name)]
		if !ok {
			return nil, errors.New("upstream unreachable")
		}
		resp := new(mdns.Msg).SetReply(req)
		resp.RecursionAvailable = true
		if q.Qtype == mdns.TypeA || q.Qtype == mdns.TypePTR {
			resp.Answer = append(resp.Answer, &mdns.A{Hdr: mdns.RR_Header{Name: q.Name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)})
		}
		return resp, nil
	}
}

// rrStrings renders records as "owner ttl class type rdata" with single spaces.
func rrStrings(rrs []mdns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype == mdns.TypeOPT {
			continue
		}
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	return out
}

// rrTypes lists the record types of rrs, OPT excluded.
func rrTypes(rrs []mdns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if t := rr.Header().Rrtype; t != mdns.TypeOPT {
			out = append(out, mdns.TypeToString[t])
		}
	}
	return out
}
