package proxy

import (
	"fmt"
	"net"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

// Names of the fixed objects of the table.
const (
	chainFilterInput        = "filter-input"
	chainFilterForward      = "filter-forward"
	chainFilterOutput       = "filter-output"
	chainNATPrerouting      = "nat-prerouting"
	chainNATOutput          = "nat-output"
	chainNATPostrouting     = "nat-postrouting"
	chainServices           = "services"
	chainMasquerading       = "masquerading"
	chainMarkForMasquerade  = "mark-for-masquerade"
	chainServiceEPCheck     = "service-endpoints-check"
	chainNodePortEPCheck    = "nodeport-endpoints-check"
	chainReject             = "reject-chain"
	mapServiceIPs           = "service-ips"
	mapServiceNodePorts     = "service-nodeports"
	mapNoEndpointServices   = "no-endpoint-services"
	mapNoEndpointNodePorts  = "no-endpoint-nodeports"
	setNodePortIPs          = "nodeport-ips"
	setHairpin              = "hairpin"
	masqueradeMark          = "0x4000"
	filterPreDNATPriority   = knftables.BaseChainPriority("-110")
	serviceProxyNameLabel   = "service.kubernetes.io/service-proxy-name"
	defaultAffinityTimeoutS = 10800
)

// Config is the node-level input of Ruleset.
type Config struct {
	// NodeName selects the local endpoints (externalTrafficPolicy and
	// internalTrafficPolicy Local).
	NodeName string
	// NodeIPs are the addresses NodePorts answer on; IPv6 entries are
	// ignored. When there is no IPv4 address, NodePorts answer on every
	// local address except 127.0.0.0/8.
	NodeIPs []net.IP
	// ClusterCIDR is the pod network. Traffic to a ClusterIP from outside it
	// is masqueraded; nil means ClusterIP traffic is never masqueraded (only
	// hairpin and external traffic are).
	ClusterCIDR *net.IPNet
	// IPv6 makes the ruleset of the ip6 table: IPv6 cluster IPs, external
	// IPs, node IPs and endpoints (and ClusterCIDR is then the IPv6 pod
	// network). False: IPv4, the ip table.
	IPv6 bool
}

// Rules is a complete ruleset for the proxy's table. Objects carry no family
// or table name; the tables they are applied with supply both.
// Chains, Sets and Maps hold every object the table must contain; Rules and
// Elements hold their whole contents. AffinitySets names the sets whose
// elements are written by the packet path (session affinity), which a sync
// must keep rather than flush.
//
// The same contents are also kept grouped by owner (the fixed objects, then
// each Service), which lets a sync compare only the Services that changed.
// A generator may leave the flat fields empty until flat is called.
type Rules struct {
	Chains       []*knftables.Chain
	Sets         []*knftables.Set
	Maps         []*knftables.Map
	Rules        []*knftables.Rule
	Elements     []*knftables.Element
	AffinitySets map[string]bool

	parts     []*part
	flattened bool
}

// Ruleset computes the table contents for a snapshot of Services and
// EndpointSlices. It reads its arguments and never modifies them; the output
// depends only on the input (sorted, no randomness), so it can be compared
// with expected text.
func Ruleset(cfg Config, services []*corev1.Service, slices []*discoveryv1.EndpointSlice) *Rules {
	return newGenerator(cfg).rules(services, slices).flat()
}

// builder accumulates the objects of one part of a ruleset.
type builder struct {
	cfg  Config
	part *part
}

func (b *builder) chain(c *knftables.Chain) { b.part.chains = append(b.part.chains, c) }

func (b *builder) rule(chain string, text string, args ...any) {
	b.part.rules = append(b.part.rules, &knftables.Rule{Chain: chain, Rule: fmt.Sprintf(text, args...)})
}

func (b *builder) element(e *knftables.Element) { b.part.elements = append(b.part.elements, e) }

// base adds the chains, maps and sets every ruleset has.
func (b *builder) base() {
	for _, c := range []struct {
		name     string
		typ      knftables.BaseChainType
		hook     knftables.BaseChainHook
		priority knftables.BaseChainPriority
	}{
		{chainFilterInput, knftables.FilterType, knftables.InputHook, filterPreDNATPriority},
		{chainFilterForward, knftables.FilterType, knftables.ForwardHook, filterPreDNATPriority},
		{chainFilterOutput, knftables.FilterType, knftables.OutputHook, filterPreDNATPriority},
		{chainNATPrerouting, knftables.NATType, knftables.PreroutingHook, knftables.DNATPriority},
		{chainNATOutput, knftables.NATType, knftables.OutputHook, knftables.DNATPriority},
		{chainNATPostrouting, knftables.NATType, knftables.PostroutingHook, knftables.SNATPriority},
	} {
		b.chain(&knftables.Chain{Name: c.name, Type: knftables.PtrTo(c.typ), Hook: knftables.PtrTo(c.hook), Priority: knftables.PtrTo(c.priority)})
	}
	for _, name := range []string{chainServices, chainMasquerading, chainMarkForMasquerade, chainServiceEPCheck, chainNodePortEPCheck, chainReject} {
		b.chain(&knftables.Chain{Name: name})
	}
	fam := b.cfg.family()
	b.part.maps = append(b.part.maps,
		&knftables.Map{Name: mapServiceIPs, Type: fam.addr + " . inet_proto . inet_service : verdict"},
		&knftables.Map{Name: mapServiceNodePorts, Type: "inet_proto . inet_service : verdict"},
		&knftables.Map{Name: mapNoEndpointServices, Type: fam.addr + " . inet_proto . inet_service : verdict"},
		&knftables.Map{Name: mapNoEndpointNodePorts, Type: "inet_proto . inet_service : verdict"},
	)

	b.rule(chainFilterInput, "ct state new jump %s", chainNodePortEPCheck)
	b.rule(chainFilterInput, "ct state new jump %s", chainServiceEPCheck)
	b.rule(chainFilterForward, "ct state new jump %s", chainServiceEPCheck)
	b.rule(chainFilterOutput, "ct state new jump %s", chainNodePortEPCheck)
	b.rule(chainFilterOutput, "ct state new jump %s", chainServiceEPCheck)
	b.rule(chainNATPrerouting, "jump %s", chainServices)
	b.rule(chainNATOutput, "jump %s", chainServices)
	b.rule(chainNATPostrouting, "jump %s", chainMasquerading)

	b.part.sets = append(b.part.sets, &knftables.Set{Name: setHairpin, Type: fam.addr + " . " + fam.addr})
	b.rule(chainMarkForMasquerade, "mark set mark or %s", masqueradeMark)
	// A connection DNATed back to its own source (a pod reaching itself
	// through a service) must be masqueraded, or the reply would skip
	// conntrack.
	b.rule(chainMasquerading, "ct status dnat %s saddr . %s daddr @%s jump %s", fam.ip, fam.ip, setHairpin, chainMarkForMasquerade)
	b.rule(chainMasquerading, "mark and %s == 0 return", masqueradeMark)
	b.rule(chainMasquerading, "mark set mark xor %s", masqueradeMark)
	b.rule(chainMasquerading, "masquerade fully-random")
	b.rule(chainReject, "reject")

	b.rule(chainServices, "%s daddr . meta l4proto . th dport vmap @%s", fam.ip, mapServiceIPs)
	b.rule(chainServiceEPCheck, "%s daddr . meta l4proto . th dport vmap @%s", fam.ip, mapNoEndpointServices)
	nodeDst := "fib daddr type local " + fam.ip + " daddr != " + fam.loopback
	if ips := fam.strings(b.cfg.NodeIPs); len(ips) > 0 {
		b.part.sets = append(b.part.sets, &knftables.Set{Name: setNodePortIPs, Type: fam.addr})
		for _, ip := range ips {
			b.element(&knftables.Element{Set: setNodePortIPs, Key: []string{ip}})
		}
		nodeDst = fam.ip + " daddr @" + setNodePortIPs
	}
	b.rule(chainServices, "%s meta l4proto . th dport vmap @%s", nodeDst, mapServiceNodePorts)
	b.rule(chainNodePortEPCheck, "%s meta l4proto . th dport vmap @%s", nodeDst, mapNoEndpointNodePorts)
}

// proxied reports whether the proxy programs svc at all: headless and
// ExternalName services have no virtual IP, and services labelled for
// another proxy are left to it.
func proxied(svc *corev1.Service) bool {
	if _, ok := svc.Labels[serviceProxyNameLabel]; ok {
		return false
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return false
	}
	return svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone
}

// slicesByService groups slices by the "namespace/name" of the service named
// in their kubernetes.io/service-name label, sorted by slice name.
func slicesByService(slices []*discoveryv1.EndpointSlice) map[string][]*discoveryv1.EndpointSlice {
	out := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range slices {
		name := s.Labels[discoveryv1.LabelServiceName]
		if name == "" {
			continue
		}
		key := s.Namespace + "/" + name
		out[key] = append(out[key], s)
	}
	for _, list := range out {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	return out
}
