package servicelb

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ExcludeLabel marks a node that must not receive load-balancer traffic,
// as upstream's service controller honours it.
const ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"

// LoadBalancerClass is this implementation's spec.loadBalancerClass. A
// Service that names it, or names no class, is served here; one naming any
// other class belongs to another implementation and is left alone.
const LoadBalancerClass = "capstan.io/servicelb"

// Annotations a Service may use to ask for its load-balancer addresses, a
// comma-separated list with at most one address per IP family: Capstan's
// own, and MetalLB's, which charts commonly set. They take precedence over
// the deprecated spec.loadBalancerIP.
const (
	LoadBalancerIPsAnnotation        = "capstan.io/loadBalancerIPs"
	MetalLBLoadBalancerIPsAnnotation = "metallb.io/loadBalancerIPs"
)

// wantsLoadBalancer reports whether this controller serves svc: type
// LoadBalancer and no loadBalancerClass naming another implementation.
func wantsLoadBalancer(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	return svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass == LoadBalancerClass
}

// RequestedIPs returns the addresses svc asks for: from the first of the
// annotations above that is set, else spec.loadBalancerIP; none when
// neither is. Malformed text, or two addresses of one family, is an error
// the user sees in an event.
func RequestedIPs(svc *corev1.Service) ([]netip.Addr, error) {
	for _, name := range [...]string{LoadBalancerIPsAnnotation, MetalLBLoadBalancerIPsAnnotation} {
		text, ok := svc.Annotations[name]
		if !ok {
			continue
		}
		var out []netip.Addr
		for _, f := range strings.Split(text, ",") {
			ip, err := netip.ParseAddr(strings.TrimSpace(f))
			if err != nil {
				return nil, fmt.Errorf("annotation %s: %w", name, err)
			}
			ip = ip.Unmap()
			if slices.ContainsFunc(out, func(o netip.Addr) bool { return familyOf(o) == familyOf(ip) }) {
				return nil, fmt.Errorf("annotation %s: more than one %s address", name, familyOf(ip))
			}
			out = append(out, ip)
		}
		return out, nil
	}
	if svc.Spec.LoadBalancerIP == "" {
		return nil, nil
	}
	ip, err := netip.ParseAddr(svc.Spec.LoadBalancerIP)
	if err != nil {
		return nil, fmt.Errorf("spec.loadBalancerIP: %w", err)
	}
	return []netip.Addr{ip.Unmap()}, nil
}

// families returns the IP families svc accepts; nil accepts both.
func families(svc *corev1.Service) map[corev1.IPFamily]bool {
	if len(svc.Spec.IPFamilies) == 0 {
		return nil
	}
	f := map[corev1.IPFamily]bool{}
	for _, fam := range svc.Spec.IPFamilies {
		f[fam] = true
	}
	return f
}

func familyOf(a netip.Addr) corev1.IPFamily {
	if a.Is4() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

// nodeReady reports whether n may carry load-balancer traffic: Ready, not
// being deleted and not labelled out.
func nodeReady(n *corev1.Node) bool {
	if n.DeletionTimestamp != nil {
		return false
	}
	if _, excluded := n.Labels[ExcludeLabel]; excluded {
		return false
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// nodeAddresses returns a node's ExternalIPs, or its InternalIPs when it has
// no ExternalIP.
func nodeAddresses(n *corev1.Node) []netip.Addr {
	pick := func(t corev1.NodeAddressType) []netip.Addr {
		var out []netip.Addr
		for _, a := range n.Status.Addresses {
			if a.Type != t {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				out = append(out, ip.Unmap())
			}
		}
		return out
	}
	if ext := pick(corev1.NodeExternalIP); len(ext) > 0 {
		return ext
	}
	return pick(corev1.NodeInternalIP)
}

// NodeIngress is the ingress of svc in node mode: the addresses of the
// Ready nodes in the service's IP families, sorted, without duplicates,
// each with ipMode VIP. nodes is read, never modified.
func NodeIngress(svc *corev1.Service, nodes []*corev1.Node) []corev1.LoadBalancerIngress {
	fams := families(svc)
	var ips []netip.Addr
	for _, n := range nodes {
		if !nodeReady(n) {
			continue
		}
		for _, ip := range nodeAddresses(n) {
			if fams == nil || fams[familyOf(ip)] {
				ips = append(ips, ip)
			}
		}
	}
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	return ingressFor(slices.Compact(ips)...)
}

// ingressFor turns addresses into ingress entries with ipMode VIP; no
// addresses give nil (an empty status).
func ingressFor(ips ...netip.Addr) []corev1.LoadBalancerIngress {
	var out []corev1.LoadBalancerIngress
	for _, ip := range ips {
		vip := corev1.LoadBalancerIPModeVIP
		out = append(out, corev1.LoadBalancerIngress{IP: ip.String(), IPMode: &vip})
	}
	return out
}

// primaryFamily is the family of the address a pool hands to svc.
func primaryFamily(svc *corev1.Service) corev1.IPFamily {
	if len(svc.Spec.IPFamilies) > 0 {
		return svc.Spec.IPFamilies[0]
	}
	return corev1.IPv4Protocol
}

// statusIPs returns the parsed ingress IPs of a status, in order.
func statusIPs(st corev1.LoadBalancerStatus) []netip.Addr {
	var out []netip.Addr
	for _, ing := range st.Ingress {
		if ip, err := netip.ParseAddr(ing.IP); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}
