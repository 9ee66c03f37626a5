package network

import (
	"fmt"
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// routeProtocol tags the routes this package owns (any number not used
// by the kernel or routing daemons; 99 is unassigned in rt_protos).
const routeProtocol = 99

// route is one pod CIDR reached via a node's address (host-gw), or via a
// node's VTEP address on link, the VXLAN device.
type route struct {
	dst  *net.IPNet
	gw   net.IP
	link int
}

func (r route) String() string { return r.dst.String() + " via " + r.gw.String() }

// desiredRoutes returns a route to the pod CIDRs of every node but self
// that has one and an InternalIP of the same family, sorted by destination.
func desiredRoutes(nodes []*corev1.Node, self string) []route {
	var out []route
	for _, n := range nodes {
		if n.Name == self {
			continue
		}
		for _, cidr := range podCIDRs(n) {
			_, dst, err := net.ParseCIDR(cidr)
			if err != nil {
				continue
			}
			if gw := internalIP(n, dst.IP.To4() != nil); gw != nil {
				out = append(out, route{dst: dst, gw: gw})
			}
		}
	}
	slices.SortFunc(out, func(a, b route) int { return strings.Compare(a.dst.String(), b.dst.String()) })
	return out
}

func podCIDRs(n *corev1.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}

func internalIP(n *corev1.Node, v4 bool) net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip := net.ParseIP(a.Address); ip != nil && (ip.To4() != nil) == v4 {
			return ip
		}
	}
	return nil
}

// diffRoutes returns what to add or replace and what to delete so that
// current (our routes now) becomes want.
func diffRoutes(current, want []route) (put, del []route) {
	have := map[string]string{}
	for _, r := range current {
		have[r.dst.String()] = r.gw.String()
	}
	keep := map[string]bool{}
	for _, r := range want {
		keep[r.dst.String()] = true
		if have[r.dst.String()] != r.gw.String() {
			put = append(put, r)
		}
	}
	for _, r := range current {
		if !keep[r.dst.String()] {
			del = append(del, r)
		}
	}
	return put, del
}

// routeError names the route a netlink call failed on.
func routeError(op string, r route, err error) error {
	return fmt.Errorf("%s route %s: %w", op, r, err)
}
