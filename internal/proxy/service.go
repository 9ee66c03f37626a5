package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

// portNames are the object names of one service port. Names start with a
// short hash of the full identity (so they stay unique however the readable
// part is cut) followed by namespace/name/protocol/port-name for people.
type portNames struct {
	ID       string // "ns/name/tcp/port", used in names
	Comment  string // "ns/name:port", used in comments
	Cluster  string // balances over all usable endpoints
	Local    string // balances over usable endpoints on this node
	External string // entry for NodePort, externalIPs and LoadBalancer IPs
}

func newPortNames(svc *corev1.Service, sp corev1.ServicePort) portNames {
	id := svc.Namespace + "/" + svc.Name + "/" + strings.ToLower(string(sp.Protocol)) + "/" + sp.Name
	h := hashPrefix(id)
	return portNames{
		ID:       id,
		Comment:  truncate(svc.Namespace+"/"+svc.Name+":"+sp.Name, knftables.CommentLengthMax),
		Cluster:  "service-" + h + "-" + id,
		Local:    "local-" + h + "-" + id,
		External: "external-" + h + "-" + id,
	}
}

// endpointID is the endpoint part of names: "ip/port" (nft does not accept
// a colon in names, so an IPv6 address has its colons written as dots).
func (n portNames) endpointID(e endpoint) string {
	return fmt.Sprintf("%s__%s/%d", n.ID, strings.ReplaceAll(e.IP, ":", "."), e.Port)
}

func (n portNames) endpointChain(e endpoint) string {
	id := n.endpointID(e)
	return "endpoint-" + hashPrefix(id) + "-" + id
}

func (n portNames) affinitySet(e endpoint) string {
	id := n.endpointID(e)
	return "affinity-" + hashPrefix(id) + "-" + id
}

// truncate cuts s to at most n bytes (names here are ASCII).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// hashPrefix is an 8-character base32 digest of s.
func hashPrefix(s string) string {
	sum := sha256.Sum256([]byte(s))
	// Base32 turns each 5 bytes into 8 characters on their own: the first
	// 5 bytes are the first 8 characters of the whole digest's encoding.
	return base32.StdEncoding.EncodeToString(sum[:5])
}

// servicePort adds everything one port of one service needs.
func (b *builder) servicePort(svc *corev1.Service, clusterIP string, sp corev1.ServicePort, slices []*discoveryv1.EndpointSlice) {
	proto := strings.ToLower(string(sp.Protocol))
	if proto == "" {
		proto = "tcp"
		sp.Protocol = corev1.ProtocolTCP
	}
	names := newPortNames(svc, sp)
	fam := b.cfg.family()
	eps := categorize(familyPortEndpoints(slices, sp, fam), b.cfg.NodeName)

	internalLocal := svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
	externalLocal := svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	internal, internalEPs := names.Cluster, eps.Cluster
	if internalLocal {
		internal, internalEPs = names.Local, eps.Local
	}
	external, externalEPs := names.Cluster, eps.Cluster
	if externalLocal {
		external, externalEPs = names.Local, eps.Local
	}
	// With no usable endpoint at all, traffic is rejected so that clients fail
	// fast; with endpoints elsewhere but none allowed by a Local policy, it is
	// dropped, as upstream does.
	noEndpoints := "drop"
	if !eps.Any() {
		noEndpoints = "goto " + chainReject
	}

	balancers := map[string][]endpoint{}
	if len(internalEPs) > 0 {
		balancers[internal] = internalEPs
	}
	externalDsts := externalIPs(svc, fam)
	hasNodePort := sp.NodePort != 0 && (svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer)
	// With policy Local and no local endpoint, the external chain still
	// serves traffic from pods and from this node (through the ClusterIP
	// path) and drops the rest.
	hasExternal := (hasNodePort || len(externalDsts) > 0) &&
		(len(externalEPs) > 0 || (externalLocal && len(internalEPs) > 0))
	if hasExternal && len(externalEPs) > 0 {
		balancers[external] = externalEPs
	}

	key := func(ip string, port int32) []string { return []string{ip, proto, strconv.Itoa(int(port))} }
	comment := knftables.PtrTo(names.Comment)
	if len(internalEPs) > 0 {
		b.element(&knftables.Element{Map: mapServiceIPs, Key: key(clusterIP, sp.Port), Value: []string{"goto " + internal}, Comment: comment})
		if b.cfg.ClusterCIDR != nil {
			b.rule(internal, "%s daddr %s %s dport %d %s saddr != %s jump %s", fam.ip, clusterIP, proto, sp.Port, fam.ip, b.cfg.ClusterCIDR, chainMarkForMasquerade)
		}
	} else {
		b.element(&knftables.Element{Map: mapNoEndpointServices, Key: key(clusterIP, sp.Port), Value: []string{noEndpoints}, Comment: comment})
	}
	if hasExternal {
		if len(externalEPs) == 0 {
			external = ""
		}
		b.externalChain(names, internal, len(internalEPs) > 0, externalLocal, external)
	}
	for _, ip := range externalDsts {
		if hasExternal {
			b.element(&knftables.Element{Map: mapServiceIPs, Key: key(ip, sp.Port), Value: []string{"goto " + names.External}, Comment: comment})
		} else {
			b.element(&knftables.Element{Map: mapNoEndpointServices, Key: key(ip, sp.Port), Value: []string{noEndpoints}, Comment: comment})
		}
	}
	if hasNodePort {
		npKey := []string{proto, strconv.Itoa(int(sp.NodePort))}
		if hasExternal {
			b.element(&knftables.Element{Map: mapServiceNodePorts, Key: npKey, Value: []string{"goto " + names.External}, Comment: comment})
		} else {
			b.element(&knftables.Element{Map: mapNoEndpointNodePorts, Key: npKey, Value: []string{noEndpoints}, Comment: comment})
		}
	}
	b.balancers(svc, names, proto, balancers)
}

// externalChain adds the entry chain for traffic that reached the service
// through a node port, an external IP or a load-balancer IP. external is the
// balancing chain for that traffic, "" when policy Local leaves none.
func (b *builder) externalChain(names portNames, internal string, hasInternal, local bool, external string) {
	b.chain(&knftables.Chain{Name: names.External})
	if !local {
		// The reply must come back through this node: masquerade.
		b.rule(names.External, "jump %s", chainMarkForMasquerade)
		b.rule(names.External, "goto %s", external)
		return
	}
	// externalTrafficPolicy Local keeps the client's address and uses only
	// endpoints on this node, except for traffic that starts inside the
	// cluster (pods, or this node itself), which is served like a ClusterIP.
	if hasInternal {
		if b.cfg.ClusterCIDR != nil {
			b.rule(names.External, "%s saddr %s goto %s", b.cfg.family().ip, b.cfg.ClusterCIDR, internal)
		}
		b.rule(names.External, "fib saddr type local jump %s", chainMarkForMasquerade)
		b.rule(names.External, "fib saddr type local goto %s", internal)
	}
	if external == "" {
		b.rule(names.External, "drop")
		return
	}
	b.rule(names.External, "goto %s", external)
}

// balancers adds the chains that pick an endpoint (at most two: all usable
// endpoints, and the local ones). Without session affinity the pick is one
// rule, a DNAT through an inline map from a random number to the endpoint's
// address and port: no chain per endpoint, so the kernel has little to
// validate when a service's endpoints change (hairpin traffic is marked in
// postrouting through the hairpin set instead). With ClientIP affinity each
// endpoint keeps a chain that records the client in its affinity set.
func (b *builder) balancers(svc *corev1.Service, names portNames, proto string, balancers map[string][]endpoint) {
	var timeout time.Duration
	if svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		timeout = defaultAffinityTimeoutS * time.Second
		if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			timeout = time.Duration(*c.ClientIP.TimeoutSeconds) * time.Second
		}
	}
	done := map[string]bool{}
	for _, chain := range []string{names.Cluster, names.Local} {
		eps, ok := balancers[chain]
		if !ok {
			continue
		}
		b.chain(&knftables.Chain{Name: chain})
		if timeout == 0 {
			b.hairpins(eps)
			b.rule(chain, "meta l4proto %s dnat to numgen random mod %d map { %s }", proto, len(eps), dnatTargets(eps))
			continue
		}
		var vmap []string
		for i, e := range eps {
			epChain := names.endpointChain(e)
			b.rule(chain, "%s saddr @%s goto %s", b.cfg.family().ip, names.affinitySet(e), epChain)
			vmap = append(vmap, fmt.Sprintf("%d : goto %s", i, epChain))
			if !done[epChain] {
				done[epChain] = true
				b.endpointChain(names, proto, e, timeout)
			}
		}
		b.rule(chain, "numgen random mod %d vmap { %s }", len(eps), strings.Join(vmap, " , "))
	}
}

// hairpins records that the endpoints' addresses are endpoints: a
// connection one makes to itself through a service is masqueraded in
// postrouting. The elements and their keys share two allocations.
func (b *builder) hairpins(eps []endpoint) {
	els := make([]knftables.Element, len(eps))
	keys := make([]string, 2*len(eps))
	for i, e := range eps {
		key := keys[2*i : 2*i+2 : 2*i+2]
		key[0], key[1] = e.IP, e.IP
		els[i] = knftables.Element{Set: setHairpin, Key: key}
		b.element(&els[i])
	}
}

// dnatTargets is the body of the numgen map that picks one of eps:
// "0 : IP . PORT , 1 : IP . PORT …".
func dnatTargets(eps []endpoint) string {
	buf := make([]byte, 0, 32*len(eps))
	for i, e := range eps {
		if i > 0 {
			buf = append(buf, " , "...)
		}
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, " : "...)
		buf = append(buf, e.IP...)
		buf = append(buf, " . "...)
		buf = strconv.AppendInt(buf, int64(e.Port), 10)
	}
	return string(buf)
}

// endpointChain adds the chain that DNATs to one endpoint of a service with
// ClientIP affinity, and the endpoint's affinity set.
func (b *builder) endpointChain(names portNames, proto string, e endpoint, affinity time.Duration) {
	name := names.endpointChain(e)
	b.chain(&knftables.Chain{Name: name})
	// Hairpin: a pod reaching itself through the service must see the
	// reply come from the service, so masquerade.
	fam := b.cfg.family()
	b.rule(name, "%s saddr %s jump %s", fam.ip, e.IP, chainMarkForMasquerade)
	set := names.affinitySet(e)
	b.part.sets = append(b.part.sets, &knftables.Set{
		Name:    set,
		Type:    fam.addr,
		Flags:   []knftables.SetFlag{knftables.DynamicFlag, knftables.TimeoutFlag},
		Timeout: knftables.PtrTo(affinity),
	})
	b.part.affinity = append(b.part.affinity, set)
	b.rule(name, "update @%s { %s saddr }", set, fam.ip)
	b.rule(name, "meta l4proto %s dnat to %s", proto, e.key())
}

// externalIPs returns the service's external IPs and load-balancer ingress
// IPs of family fam, sorted and without duplicates.
func externalIPs(svc *corev1.Service, fam family) []string {
	var ips []net.IP
	for _, s := range svc.Spec.ExternalIPs {
		ips = append(ips, net.ParseIP(s))
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			if ing.IPMode != nil && *ing.IPMode == corev1.LoadBalancerIPModeProxy {
				continue
			}
			ips = append(ips, net.ParseIP(ing.IP))
		}
	}
	return fam.strings(ips)
}
