package proxy

import (
	"net"
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// family is how one IP family is spelled in the ruleset: the payload
// keyword ("ip" or "ip6"), the set element type, the loopback range
// NodePorts never answer on, and the EndpointSlice address type read.
type family struct {
	ip, addr, loopback string
	sliceType          discoveryv1.AddressType
	v6                 bool
}

func (c Config) family() family {
	if c.IPv6 {
		return family{ip: "ip6", addr: "ipv6_addr", loopback: "::1", sliceType: discoveryv1.AddressTypeIPv6, v6: true}
	}
	return family{ip: "ip", addr: "ipv4_addr", loopback: "127.0.0.0/8", sliceType: discoveryv1.AddressTypeIPv4}
}

// parseAddr returns the text form of s in family f and its address (an
// IPv4-mapped IPv6 address counts as IPv4); ok is false for other
// families. An IPv4 address already in dotted form is returned as given,
// without a new string.
func (f family) parseAddr(s string) (text string, addr netip.Addr, ok bool) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return "", a, false
	case f.v6:
		if a.Is4() || a.Is4In6() || a.Zone() != "" {
			return "", a, false
		}
		return a.String(), a, true
	case a.Is4():
		return s, a, true
	case a.Is4In6():
		a = a.Unmap()
		return a.String(), a, true
	}
	return "", a, false
}

// strings returns the addresses of ips in family f in text form, sorted and
// without duplicates.
func (f family) strings(ips []net.IP) []string {
	seen := map[string]bool{}
	var out []string
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		text, _, ok := f.parseAddr(a.String())
		if ok && !seen[text] {
			seen[text] = true
			out = append(out, text)
		}
	}
	sort.Strings(out)
	return out
}

// serviceIP returns the service's cluster IP of family f, or "".
func (f family) serviceIP(svc *corev1.Service) string {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{svc.Spec.ClusterIP}
	}
	for _, s := range ips {
		if text, _, ok := f.parseAddr(s); ok {
			return text
		}
	}
	return ""
}
