package dns

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

const soaLine = "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 5"

func testResolver(t *testing.T, ready bool) *Resolver {
	t.Helper()
	cat := testCatalog(t,
		clusterIPService("default", "web", []string{"10.43.0.20", "fd00::20"},
			svcPort("http", corev1.ProtocolTCP, 80), svcPort("dns", corev1.ProtocolUDP, 53)),
		headlessService("default", "db", false, svcPort("pg", corev1.ProtocolTCP, 5432)),
		endpointSlice("default", "db-abc", "db", discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{slicePort("pg", corev1.ProtocolTCP, 5432)},
			testEndpoint{"10.42.0.6", "db-1", true}, testEndpoint{"10.42.0.5", "db-0", true},
			testEndpoint{"10.42.0.7", "", false}),
		headlessService("default", "nr", true, svcPort("http", corev1.ProtocolTCP, 8080)),
		endpointSlice("default", "nr-abc", "nr", discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{slicePort("http", corev1.ProtocolTCP, 8080)},
			testEndpoint{"10.42.0.9", "", false}),
		headlessService("default", "empty", false),
		withPorts(externalNameService("default", "ext", "Example.COM"), svcPort("https", corev1.ProtocolTCP, 443)),
		externalNameService("default", "alias", "web.default.svc.cluster.local"),
	)
	up := staticUpstream(map[string]string{
		"example.com.":              "93.184.216.34",
		"example.org.":              "93.184.216.35",
		"1.1.168.192.in-addr.arpa.": "192.0.2.1",
	})
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	return NewResolver(NewZone("cluster.local", cat, 42), up, func() bool { return ready }, log)
}

func query(name string, qtype uint16) *mdns.Msg {
	m := new(mdns.Msg).SetQuestion(name, qtype)
	m.Id = 4242
	return m
}

// resolveCase is one question and the reply it must get.
type resolveCase struct {
	name   string
	qname  string
	qtype  uint16
	rcode  int
	answer []string
	ns     []string
	extra  []string
}

// serviceCases covers ClusterIP Services and names that do not exist.
func serviceCases() []resolveCase {
	return []resolveCase{
		{name: "service A", qname: "web.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20"}},
		{name: "service AAAA", qname: "web.default.svc.cluster.local.", qtype: mdns.TypeAAAA,
			answer: []string{"web.default.svc.cluster.local. 5 IN AAAA fd00::20"}},
		{name: "case of the question is kept", qname: "WEB.Default.svc.CLUSTER.local.", qtype: mdns.TypeA,
			answer: []string{"WEB.Default.svc.CLUSTER.local. 5 IN A 10.43.0.20"}},
		{name: "service without records of the type is NODATA", qname: "web.default.svc.cluster.local.", qtype: mdns.TypeTXT,
			ns: []string{soaLine}},
		{name: "missing service is NXDOMAIN", qname: "nope.default.svc.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "namespace with services is NODATA", qname: "default.svc.cluster.local.", qtype: mdns.TypeA,
			ns: []string{soaLine}},
		{name: "namespace without services is NXDOMAIN", qname: "nope.svc.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "svc root is NODATA", qname: "svc.cluster.local.", qtype: mdns.TypeA, ns: []string{soaLine}},
		{name: "unknown name in the domain is NXDOMAIN", qname: "foo.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "too deep under a service is NXDOMAIN", qname: "a.b.c.web.default.svc.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "apex SOA", qname: "cluster.local.", qtype: mdns.TypeSOA, answer: []string{soaLine}},
		{name: "schema version", qname: "dns-version.cluster.local.", qtype: mdns.TypeTXT,
			answer: []string{`dns-version.cluster.local. 5 IN TXT "1.1.0"`}},
	}
}

// headlessAndSRVCases covers headless Services, endpoint names and SRV records.
func headlessAndSRVCases() []resolveCase {
	return []resolveCase{
		{name: "headless A lists ready endpoints", qname: "db.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"db.default.svc.cluster.local. 5 IN A 10.42.0.5", "db.default.svc.cluster.local. 5 IN A 10.42.0.6"}},
		{name: "headless publishNotReadyAddresses", qname: "nr.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"nr.default.svc.cluster.local. 5 IN A 10.42.0.9"}},
		{name: "headless without endpoints is NODATA", qname: "empty.default.svc.cluster.local.", qtype: mdns.TypeA,
			ns: []string{soaLine}},
		{name: "endpoint hostname", qname: "db-0.db.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"db-0.db.default.svc.cluster.local. 5 IN A 10.42.0.5"}},
		{name: "dashed endpoint address", qname: "10-42-0-9.nr.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"10-42-0-9.nr.default.svc.cluster.local. 5 IN A 10.42.0.9"}},
		{name: "not ready endpoint has no name", qname: "10-42-0-7.db.default.svc.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "endpoint names only for headless", qname: "db-0.web.default.svc.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "SRV of a ClusterIP service", qname: "_http._tcp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{"_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20", "web.default.svc.cluster.local. 5 IN AAAA fd00::20"}},
		{name: "SRV of a UDP port", qname: "_dns._udp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{"_dns._udp.web.default.svc.cluster.local. 5 IN SRV 0 100 53 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20", "web.default.svc.cluster.local. 5 IN AAAA fd00::20"}},
		{name: "SRV with the wrong protocol is NXDOMAIN", qname: "_http._udp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "SRV name asked for A is NODATA", qname: "_http._tcp.web.default.svc.cluster.local.", qtype: mdns.TypeA,
			ns: []string{soaLine}},
		{name: "protocol label is an empty non-terminal", qname: "_tcp.web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			ns: []string{soaLine}},
		{name: "SRV of a headless service, one per endpoint", qname: "_pg._tcp.db.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{
				"_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.",
				"_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-1.db.default.svc.cluster.local.",
			},
			extra: []string{"db-0.db.default.svc.cluster.local. 5 IN A 10.42.0.5", "db-1.db.default.svc.cluster.local. 5 IN A 10.42.0.6"}},
		{name: "SRV on the service name lists all ports", qname: "web.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{
				"web.default.svc.cluster.local. 5 IN SRV 0 50 80 web.default.svc.cluster.local.",
				"web.default.svc.cluster.local. 5 IN SRV 0 50 53 web.default.svc.cluster.local.",
			},
			extra: []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20", "web.default.svc.cluster.local. 5 IN AAAA fd00::20"}},
	}
}

// externalPodAndReverseCases covers ExternalName, pod, PTR and forwarded names.
func externalPodAndReverseCases() []resolveCase {
	return []resolveCase{
		{name: "ExternalName A is CNAME plus the upstream answer", qname: "ext.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"ext.default.svc.cluster.local. 5 IN CNAME example.com.", "example.com. 60 IN A 93.184.216.34"}},
		{name: "ExternalName SRV query gets the CNAME only", qname: "ext.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{"ext.default.svc.cluster.local. 5 IN CNAME example.com."}},
		{name: "SRV of an ExternalName port targets the external name", qname: "_https._tcp.ext.default.svc.cluster.local.", qtype: mdns.TypeSRV,
			answer: []string{"_https._tcp.ext.default.svc.cluster.local. 5 IN SRV 0 100 443 example.com."}},
		{name: "ExternalName CNAME query is not chased", qname: "ext.default.svc.cluster.local.", qtype: mdns.TypeCNAME,
			answer: []string{"ext.default.svc.cluster.local. 5 IN CNAME example.com."}},
		{name: "ExternalName into the cluster is chased in the zone", qname: "alias.default.svc.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"alias.default.svc.cluster.local. 5 IN CNAME web.default.svc.cluster.local.", "web.default.svc.cluster.local. 5 IN A 10.43.0.20"}},
		{name: "pod A", qname: "10-42-0-99.default.pod.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"10-42-0-99.default.pod.cluster.local. 5 IN A 10.42.0.99"}},
		{name: "pod in any namespace (pods insecure)", qname: "10-42-0-99.whatever.pod.cluster.local.", qtype: mdns.TypeA,
			answer: []string{"10-42-0-99.whatever.pod.cluster.local. 5 IN A 10.42.0.99"}},
		{name: "IPv4 pod asked AAAA is NODATA", qname: "10-42-0-99.default.pod.cluster.local.", qtype: mdns.TypeAAAA,
			ns: []string{soaLine}},
		{name: "IPv6 pod", qname: "fd00--1.default.pod.cluster.local.", qtype: mdns.TypeAAAA,
			answer: []string{"fd00--1.default.pod.cluster.local. 5 IN AAAA fd00::1"}},
		{name: "malformed pod name is NXDOMAIN", qname: "10-42-0.default.pod.cluster.local.", qtype: mdns.TypeA,
			rcode: mdns.RcodeNameError, ns: []string{soaLine}},
		{name: "PTR of a ClusterIP", qname: "20.0.43.10.in-addr.arpa.", qtype: mdns.TypePTR,
			answer: []string{"20.0.43.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local."}},
		{name: "PTR of an IPv6 ClusterIP", qname: "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", qtype: mdns.TypePTR,
			answer: []string{"0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 5 IN PTR web.default.svc.cluster.local."}},
		{name: "PTR of a headless endpoint", qname: "5.0.42.10.in-addr.arpa.", qtype: mdns.TypePTR,
			answer: []string{"5.0.42.10.in-addr.arpa. 5 IN PTR db-0.db.default.svc.cluster.local."}},
		{name: "PTR of another address is forwarded", qname: "1.1.168.192.in-addr.arpa.", qtype: mdns.TypePTR,
			answer: []string{"1.1.168.192.in-addr.arpa. 60 IN A 192.0.2.1"}},
		{name: "outside the domain is forwarded", qname: "example.org.", qtype: mdns.TypeA,
			answer: []string{"example.org. 60 IN A 93.184.216.35"}},
		{name: "upstream failure is SERVFAIL", qname: "unreachable.test.", qtype: mdns.TypeA,
			rcode: mdns.RcodeServerFailure},
		{name: "zone transfer refused", qname: "cluster.local.", qtype: mdns.TypeAXFR, rcode: mdns.RcodeRefused},
	}
}

func TestResolveClusterNames(t *testing.T) {
	r := testResolver(t, true)
	tests := slices.Concat(serviceCases(), headlessAndSRVCases(), externalPodAndReverseCases())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.Resolve(t.Context(), query(tt.qname, tt.qtype))
			if resp.Id != 4242 || !resp.Response {
				t.Errorf("reply id %d response %v, want 4242 true", resp.Id, resp.Response)
			}
			if resp.Rcode != tt.rcode {
				t.Errorf("rcode %s, want %s", mdns.RcodeToString[resp.Rcode], mdns.RcodeToString[tt.rcode])
			}
			for _, c := range []struct {
				section   string
				got, want []string
			}{{"answer", rrStrings(resp.Answer), tt.answer}, {"authority", rrStrings(resp.Ns), tt.ns}, {"additional", rrStrings(resp.Extra), tt.extra}} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s section:\n got %q\nwant %q", c.section, c.got, c.want)
				}
			}
		})
	}
}

func TestResolveMalformed(t *testing.T) {
	r := testResolver(t, true)
	two := query("web.default.svc.cluster.local.", mdns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	none := query("web.default.svc.cluster.local.", mdns.TypeA)
	none.Question = nil
	notify := query("cluster.local.", mdns.TypeSOA)
	notify.Opcode = mdns.OpcodeNotify
	update := query("cluster.local.", mdns.TypeSOA)
	update.Opcode = mdns.OpcodeUpdate
	response := query("web.default.svc.cluster.local.", mdns.TypeA)
	response.Response = true
	optQ := query("web.default.svc.cluster.local.", mdns.TypeOPT)
	chaos := query("web.default.svc.cluster.local.", mdns.TypeTXT)
	chaos.Question[0].Qclass = mdns.ClassCHAOS
	tests := []struct {
		name  string
		req   *mdns.Msg
		rcode int
	}{
		{"two questions", two, mdns.RcodeFormatError},
		{"no question", none, mdns.RcodeFormatError},
		{"a response", response, mdns.RcodeFormatError},
		{"OPT as question type", optQ, mdns.RcodeFormatError},
		{"notify", notify, mdns.RcodeNotImplemented},
		{"update", update, mdns.RcodeNotImplemented},
		{"non-IN class in the zone", chaos, mdns.RcodeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.Resolve(t.Context(), tt.req)
			if resp.Rcode != tt.rcode || len(resp.Answer) != 0 {
				t.Errorf("rcode %s with %d answers, want %s and none", mdns.RcodeToString[resp.Rcode], len(resp.Answer), mdns.RcodeToString[tt.rcode])
			}
		})
	}
}

func TestResolveBeforeSync(t *testing.T) {
	r := testResolver(t, false)
	if resp := r.Resolve(t.Context(), query("web.default.svc.cluster.local.", mdns.TypeA)); resp.Rcode != mdns.RcodeServerFailure {
		t.Errorf("zone query before sync: rcode %s, want SERVFAIL", mdns.RcodeToString[resp.Rcode])
	}
	// The static upstream knows 1.1.168.192 only, so a forwarded query
	// for a ClusterIP's reverse name fails instead of being answered.
	if resp := r.Resolve(t.Context(), query("20.0.43.10.in-addr.arpa.", mdns.TypePTR)); resp.Rcode != mdns.RcodeServerFailure || len(resp.Answer) != 0 {
		t.Errorf("reverse query before sync should be forwarded: rcode %s answers %v", mdns.RcodeToString[resp.Rcode], resp.Answer)
	}
	if resp := r.Resolve(t.Context(), query("example.org.", mdns.TypeA)); resp.Rcode != mdns.RcodeSuccess || len(resp.Answer) != 1 {
		t.Errorf("forwarding before sync: rcode %s answers %v", mdns.RcodeToString[resp.Rcode], resp.Answer)
	}
}

func TestResolveEDNS(t *testing.T) {
	r := testResolver(t, true)
	for _, name := range []string{"web.default.svc.cluster.local.", "nope.default.svc.cluster.local."} {
		req := query(name, mdns.TypeA)
		req.SetEdns0(4096, true)
		resp := r.Resolve(context.Background(), req)
		opt := resp.IsEdns0()
		if opt == nil || !opt.Do() || opt.UDPSize() != ednsUDPSize {
			t.Errorf("%s: reply OPT %v, want DO and size %d", name, opt, ednsUDPSize)
		}
		if got := rrTypes(resp.Extra); len(got) != 0 {
			t.Errorf("%s: extra records %v besides OPT", name, got)
		}
	}
	if opt := r.Resolve(context.Background(), query("web.default.svc.cluster.local.", mdns.TypeA)).IsEdns0(); opt != nil {
		t.Errorf("reply to a query without OPT has one: %v", opt)
	}
}
