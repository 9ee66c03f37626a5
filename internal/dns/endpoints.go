package dns

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpoint is one address of a headless Service as DNS names it.
type endpoint struct {
	host  string // endpoint hostname, or the dashed address
	addr  netip.Addr
	ports []discoveryv1.EndpointPort // owned by the informer cache: read only
}

// endpoints returns the addresses DNS publishes for a headless Service:
// ready endpoints of its IPv4/IPv6 EndpointSlices, or all of them when the
// Service publishes not-ready addresses, sorted by host then address.
func (z *Zone) endpoints(svc *corev1.Service) ([]endpoint, error) {
	sls, err := z.catalog.EndpointSlices(svc.Namespace, svc.Name)
	if err != nil {
		return nil, err
	}
	var eps []endpoint
	for _, es := range sls {
		if es.AddressType != discoveryv1.AddressTypeIPv4 && es.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		for _, ep := range es.Endpoints {
			ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			if !ready && !svc.Spec.PublishNotReadyAddresses {
				continue
			}
			for _, s := range ep.Addresses {
				a, err := netip.ParseAddr(s)
				if err != nil {
					continue
				}
				a = a.Unmap()
				var host string
				if ep.Hostname != nil && *ep.Hostname != "" {
					host = strings.ToLower(*ep.Hostname)
				} else {
					host = dashedIP(a)
				}
				eps = append(eps, endpoint{host: host, addr: a, ports: es.Ports})
			}
		}
	}
	slices.SortFunc(eps, func(a, b endpoint) int {
		return cmp.Or(strings.Compare(a.host, b.host), a.addr.Compare(b.addr))
	})
	return eps, nil
}

// srvRecords returns the SRV records for the Service's ports matching the
// "_port" and "_proto" labels ("" matches any port), with priority 0 and
// weights splitting 100 evenly, and the address records of their targets.
// A ClusterIP Service has one record per port targeting the Service name; a
// headless one has one per endpoint and port, targeting the endpoint name.
// The owner of the returned SRV records is left empty.
func (z *Zone) srvRecords(svc *corev1.Service, eps []endpoint, portLabel, protoLabel string) (srv, extra []mdns.RR) {
	match := func(name string, proto corev1.Protocol) bool {
		if portLabel == "" {
			return true
		}
		want, ok := protocolLabel(protoLabel)
		return ok && name != "" && "_"+strings.ToLower(name) == portLabel && protocolOf(proto) == want
	}
	svcName := z.serviceFQDN(svc)
	switch {
	case isHeadless(svc):
		seen, seenAddr := map[string]bool{}, map[string]bool{}
		for _, ep := range eps {
			target := ep.host + "." + svcName
			for _, p := range ep.ports {
				name, proto := "", corev1.ProtocolTCP
				if p.Name != nil {
					name = *p.Name
				}
				if p.Protocol != nil {
					proto = *p.Protocol
				}
				key := fmt.Sprintf("%s/%s/%d", target, ep.addr, derefPort(p.Port))
				if p.Port == nil || !match(name, proto) || seen[key] {
					continue
				}
				seen[key] = true
				srv = append(srv, &mdns.SRV{Hdr: z.hdr("", mdns.TypeSRV), Port: uint16(*p.Port), Target: target})
				if addrKey := target + "/" + ep.addr.String(); !seenAddr[addrKey] {
					seenAddr[addrKey] = true
					extra = append(extra, z.addr(target, ep.addr))
				}
			}
		}
	default:
		target := svcName
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			target = mdns.Fqdn(strings.ToLower(svc.Spec.ExternalName))
		}
		for _, p := range svc.Spec.Ports {
			if match(p.Name, p.Protocol) {
				srv = append(srv, &mdns.SRV{Hdr: z.hdr("", mdns.TypeSRV), Port: uint16(p.Port), Target: target})
			}
		}
		if len(srv) > 0 && svc.Spec.Type != corev1.ServiceTypeExternalName {
			extra = z.clusterIPRecords(target, svc)
		}
	}
	for _, rr := range srv {
		rr.(*mdns.SRV).Weight = uint16(max(1, 100/len(srv)))
	}
	return srv, extra
}

func derefPort(p *int32) int32 {
	if p == nil {
		return -1
	}
	return *p
}

// Reverse answers a PTR query whose name is the reverse name of a Service
// ClusterIP or of a headless Service's endpoint. ok is false when the
// address is not one of those: the query is not the zone's to answer.
func (z *Zone) Reverse(req *mdns.Msg) (resp *mdns.Msg, ok bool, err error) {
	q := req.Question[0]
	if q.Qtype != mdns.TypePTR {
		return nil, false, nil
	}
	a, ok := reverseAddr(strings.ToLower(q.Name))
	if !ok {
		return nil, false, nil
	}
	targets, err := z.reverseTargets(a)
	if err != nil || len(targets) == 0 {
		return nil, false, err
	}
	resp = new(mdns.Msg).SetReply(req)
	resp.Authoritative, resp.RecursionAvailable = true, true
	for _, t := range targets {
		resp.Answer = append(resp.Answer, &mdns.PTR{Hdr: z.hdr(q.Name, mdns.TypePTR), Ptr: t})
	}
	return resp, true, nil
}

// reverseTargets returns the sorted names that a has in the zone.
func (z *Zone) reverseTargets(a netip.Addr) ([]string, error) {
	svcs, err := z.catalog.ServicesByIP(a)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, svc := range svcs {
		names = append(names, z.serviceFQDN(svc))
	}
	sls, err := z.catalog.EndpointSlicesByIP(a)
	if err != nil {
		return nil, err
	}
	for _, es := range sls {
		svc, err := z.catalog.Service(es.Namespace, es.Labels[discoveryv1.LabelServiceName])
		if err != nil {
			return nil, err
		}
		if svc == nil || !isHeadless(svc) {
			continue
		}
		eps, err := z.endpoints(svc)
		if err != nil {
			return nil, err
		}
		for _, ep := range eps {
			if ep.addr == a {
				names = append(names, ep.host+"."+z.serviceFQDN(svc))
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
