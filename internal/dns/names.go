package dns

import (
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
)

// nameKind says which kind of cluster-domain name a query is for.
type nameKind int

const (
	kindInvalid     nameKind = iota // nothing can exist at this name
	kindApex                        // <domain>
	kindVersion                     // dns-version.<domain>
	kindSvcRoot                     // svc.<domain>
	kindPodRoot                     // pod.<domain>
	kindNamespace                   // <ns>.svc.<domain>
	kindService                     // <svc>.<ns>.svc.<domain>
	kindServiceSub                  // <label>.<svc>.<ns>.svc.<domain>: endpoint host or _proto
	kindServicePort                 // _<port>._<proto>.<svc>.<ns>.svc.<domain>
	kindPodNS                       // <ns>.pod.<domain>
	kindPod                         // <a-b-c-d>.<ns>.pod.<domain>
)

// clusterName is a parsed, lower-cased name inside the cluster domain.
type clusterName struct {
	kind      nameKind
	namespace string
	service   string
	label     string // endpoint host label, pod IP label or "_proto"
	port      string // "_port" label of an SRV name
}

// parseName splits an FQDN inside domain (both lower-cased FQDNs) into its
// parts. The caller has checked that name is in domain.
func parseName(name, domain string) clusterName {
	rest := strings.TrimSuffix(strings.TrimSuffix(name, domain), ".")
	if rest == "" {
		return clusterName{kind: kindApex}
	}
	labels := mdns.SplitDomainName(rest)
	n := len(labels)
	// l(i) is the i-th label counted from the zone apex.
	l := func(i int) string { return labels[n-1-i] }
	if n == 1 && l(0) == "dns-version" {
		return clusterName{kind: kindVersion}
	}
	switch l(0) {
	case "svc":
		switch n {
		case 1:
			return clusterName{kind: kindSvcRoot}
		case 2:
			return clusterName{kind: kindNamespace, namespace: l(1)}
		case 3:
			return clusterName{kind: kindService, namespace: l(1), service: l(2)}
		case 4:
			return clusterName{kind: kindServiceSub, namespace: l(1), service: l(2), label: l(3)}
		case 5:
			if strings.HasPrefix(l(3), "_") && strings.HasPrefix(l(4), "_") {
				return clusterName{kind: kindServicePort, namespace: l(1), service: l(2), label: l(3), port: l(4)}
			}
		}
	case "pod":
		switch n {
		case 1:
			return clusterName{kind: kindPodRoot}
		case 2:
			return clusterName{kind: kindPodNS, namespace: l(1)}
		case 3:
			return clusterName{kind: kindPod, namespace: l(1), label: l(2)}
		}
	}
	return clusterName{kind: kindInvalid}
}

// dashedIP turns an address into a DNS label: 10.0.0.1 → 10-0-0-1,
// fd00::1 → fd00--1, as upstream names pods and unnamed endpoints.
func dashedIP(a netip.Addr) string {
	b := []byte(a.String())
	for i, c := range b {
		if c == '.' || c == ':' {
			b[i] = '-'
		}
	}
	return string(b)
}

// undashIP parses a label made by dashedIP; ok is false when it is not one.
func undashIP(label string) (netip.Addr, bool) {
	if strings.Count(label, "-") == 3 {
		if a, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ".")); err == nil && a.Is4() {
			return a, true
		}
	}
	a, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ":"))
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// protocolLabel maps an SRV "_proto" label to a Kubernetes protocol name.
func protocolLabel(label string) (string, bool) {
	switch label {
	case "_tcp":
		return "TCP", true
	case "_udp":
		return "UDP", true
	case "_sctp":
		return "SCTP", true
	}
	return "", false
}

// reverseAddr parses an in-addr.arpa or ip6.arpa name (lower-cased FQDN)
// into the address it names; ok is false for anything else, including the
// partial names above a full address.
func reverseAddr(name string) (netip.Addr, bool) {
	switch {
	case strings.HasSuffix(name, ".in-addr.arpa."):
		labels := mdns.SplitDomainName(strings.TrimSuffix(name, ".in-addr.arpa."))
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0])
		return a, err == nil && a.Is4()
	case strings.HasSuffix(name, ".ip6.arpa."):
		labels := mdns.SplitDomainName(strings.TrimSuffix(name, ".ip6.arpa."))
		if len(labels) != 32 {
			return netip.Addr{}, false
		}
		var b strings.Builder
		for i := 31; i >= 0; i-- {
			if len(labels[i]) != 1 {
				return netip.Addr{}, false
			}
			b.WriteString(labels[i])
			if i%4 == 0 && i > 0 {
				b.WriteByte(':')
			}
		}
		a, err := netip.ParseAddr(b.String())
		return a, err == nil && a.Is6()
	}
	return netip.Addr{}, false
}
