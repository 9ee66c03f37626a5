package dns

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// DefaultDomain is the cluster domain when none is configured.
const DefaultDomain = "cluster.local"

// DefaultTTL is the TTL of every answer from the cluster domain, as upstream.
const DefaultTTL = 5

// schemaVersion is the Kubernetes DNS specification version served as the
// TXT record at dns-version.<domain>.
const schemaVersion = "1.1.0"

// Zone answers queries for names in the cluster domain from a Catalog. It
// holds no mutable state and is safe for concurrent use.
type Zone struct {
	domain  string // lower-case FQDN
	ttl     uint32
	serial  uint32
	catalog Catalog
}

// NewZone returns the zone for domain (e.g. "cluster.local"; "" means
// DefaultDomain) with the given SOA serial.
func NewZone(domain string, catalog Catalog, serial uint32) *Zone {
	if domain == "" {
		domain = DefaultDomain
	}
	return &Zone{domain: mdns.Fqdn(strings.ToLower(domain)), ttl: DefaultTTL, serial: serial, catalog: catalog}
}

// Domain returns the zone apex as a lower-case FQDN.
func (z *Zone) Domain() string { return z.domain }

// Contains reports whether name is the apex of the zone or below it.
func (z *Zone) Contains(name string) bool {
	return mdns.IsSubDomain(z.domain, strings.ToLower(mdns.Fqdn(name)))
}

// rrset is everything owned by one name: whether it exists, its records of
// every type, and the additional records its SRV records point at.
type rrset struct {
	exists bool
	rrs    []mdns.RR
	extra  []mdns.RR
}

// Answer builds the authoritative reply to req, whose single question the
// caller has checked is inside the zone: the matching records, NXDOMAIN for
// names that do not exist and NODATA for names without records of the asked
// type, both with the zone's SOA in the authority section.
func (z *Zone) Answer(req *mdns.Msg) (*mdns.Msg, error) {
	q := req.Question[0]
	set, err := z.records(q.Name, q.Qtype, parseName(strings.ToLower(q.Name), z.domain))
	if err != nil {
		return nil, fmt.Errorf("answer %s: %w", q.Name, err)
	}
	resp := new(mdns.Msg).SetReply(req)
	resp.Authoritative, resp.RecursionAvailable = true, true
	if !set.exists {
		resp.Rcode = mdns.RcodeNameError
		resp.Ns = []mdns.RR{z.soa()}
		return resp, nil
	}
	hasSRV := false
	for _, rr := range set.rrs {
		t := rr.Header().Rrtype
		if q.Qtype == mdns.TypeANY || t == q.Qtype || t == mdns.TypeCNAME {
			resp.Answer = append(resp.Answer, rr)
			hasSRV = hasSRV || t == mdns.TypeSRV
		}
	}
	if len(resp.Answer) == 0 {
		resp.Ns = []mdns.RR{z.soa()}
	}
	if hasSRV {
		resp.Extra = set.extra
	}
	return resp, nil
}

// records returns the records owned by the name n (owner is the name as
// asked, used as the owner of the answer records). qtype only lets it skip
// building SRV records nobody asked for; the caller filters by type.
func (z *Zone) records(owner string, qtype uint16, n clusterName) (rrset, error) {
	switch n.kind {
	case kindApex:
		soa := z.soa()
		soa.Hdr.Name = owner
		return rrset{exists: true, rrs: []mdns.RR{soa}}, nil
	case kindVersion:
		return rrset{exists: true, rrs: []mdns.RR{&mdns.TXT{Hdr: z.hdr(owner, mdns.TypeTXT), Txt: []string{schemaVersion}}}}, nil
	case kindSvcRoot, kindPodRoot, kindPodNS:
		return rrset{exists: true}, nil
	case kindNamespace:
		ok, err := z.catalog.NamespaceHasServices(n.namespace)
		return rrset{exists: ok}, err
	case kindPod:
		a, ok := undashIP(n.label)
		if !ok {
			return rrset{}, nil
		}
		return rrset{exists: true, rrs: []mdns.RR{z.addr(owner, a)}}, nil
	case kindService, kindServiceSub, kindServicePort:
		return z.serviceRecords(owner, qtype, n)
	}
	return rrset{}, nil
}

// serviceRecords answers the names at and below <svc>.<ns>.svc.<domain>.
func (z *Zone) serviceRecords(owner string, qtype uint16, n clusterName) (rrset, error) {
	svc, err := z.catalog.Service(n.namespace, n.service)
	if err != nil || svc == nil {
		return rrset{}, err
	}
	var eps []endpoint
	if isHeadless(svc) {
		if eps, err = z.endpoints(svc); err != nil {
			return rrset{}, err
		}
	}
	switch n.kind {
	case kindService:
		set := rrset{exists: true}
		switch {
		case svc.Spec.Type == corev1.ServiceTypeExternalName:
			target := mdns.Fqdn(strings.ToLower(svc.Spec.ExternalName))
			set.rrs = append(set.rrs, &mdns.CNAME{Hdr: z.hdr(owner, mdns.TypeCNAME), Target: target})
		case isHeadless(svc):
			seen := map[netip.Addr]bool{}
			for _, ep := range eps {
				if !seen[ep.addr] {
					seen[ep.addr] = true
					set.rrs = append(set.rrs, z.addr(owner, ep.addr))
				}
			}
		default:
			set.rrs = append(set.rrs, z.clusterIPRecords(owner, svc)...)
		}
		// A CNAME owns its name alone (RFC 1034 3.6.2): no SRV beside it.
		if (qtype == mdns.TypeSRV || qtype == mdns.TypeANY) && svc.Spec.Type != corev1.ServiceTypeExternalName {
			srv, extra := z.srvRecords(svc, eps, "", "")
			set.rrs, set.extra = append(set.rrs, retarget(srv, owner)...), extra
		}
		return set, nil
	case kindServiceSub:
		set := rrset{}
		for _, ep := range eps {
			if ep.host == n.label {
				set.exists = true
				set.rrs = append(set.rrs, z.addr(owner, ep.addr))
			}
		}
		if !set.exists {
			proto, ok := protocolLabel(n.label)
			set.exists = ok && hasNamedPort(svc, proto)
		}
		return set, nil
	default: // kindServicePort
		srv, extra := z.srvRecords(svc, eps, n.port, n.label)
		return rrset{exists: len(srv) > 0, rrs: retarget(srv, owner), extra: extra}, nil
	}
}

// clusterIPRecords returns A/AAAA records for the Service's ClusterIPs.
func (z *Zone) clusterIPRecords(owner string, svc *corev1.Service) []mdns.RR {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	var rrs []mdns.RR
	for _, s := range ips {
		if a, err := netip.ParseAddr(s); err == nil {
			rrs = append(rrs, z.addr(owner, a.Unmap()))
		}
	}
	return rrs
}

// serviceFQDN is <svc>.<ns>.svc.<domain>.
func (z *Zone) serviceFQDN(svc *corev1.Service) string {
	return svc.Name + "." + svc.Namespace + ".svc." + z.domain
}

// soa is the zone's SOA record; its minimum TTL is the negative-caching TTL.
func (z *Zone) soa() *mdns.SOA {
	return &mdns.SOA{
		Hdr:     z.hdr(z.domain, mdns.TypeSOA),
		Ns:      "ns.dns." + z.domain,
		Mbox:    "hostmaster." + z.domain,
		Serial:  z.serial,
		Refresh: 7200,
		Retry:   1800,
		Expire:  86400,
		Minttl:  z.ttl,
	}
}

func (z *Zone) hdr(owner string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: owner, Rrtype: t, Class: mdns.ClassINET, Ttl: z.ttl}
}

// addr returns an A or AAAA record for a.
func (z *Zone) addr(owner string, a netip.Addr) mdns.RR {
	if a.Is4() {
		return &mdns.A{Hdr: z.hdr(owner, mdns.TypeA), A: net.IP(a.AsSlice())}
	}
	return &mdns.AAAA{Hdr: z.hdr(owner, mdns.TypeAAAA), AAAA: net.IP(a.AsSlice())}
}

// retarget sets the owner name of rrs (freshly built records) to owner.
func retarget(rrs []mdns.RR, owner string) []mdns.RR {
	for _, rr := range rrs {
		rr.Header().Name = owner
	}
	return rrs
}

func isHeadless(svc *corev1.Service) bool {
	return svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ClusterIP == corev1.ClusterIPNone
}

// hasNamedPort reports whether svc has a named port of protocol proto.
func hasNamedPort(svc *corev1.Service, proto string) bool {
	for _, p := range svc.Spec.Ports {
		if p.Name != "" && protocolOf(p.Protocol) == proto {
			return true
		}
	}
	return false
}

func protocolOf(p corev1.Protocol) string {
	if p == "" {
		return string(corev1.ProtocolTCP)
	}
	return string(p)
}
