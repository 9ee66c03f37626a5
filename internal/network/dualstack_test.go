package network

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
)

func dualNode(name string, cidrs []string, addrs ...string) *corev1.Node {
	n := node(name, cidrs[0], addrs...)
	n.Spec.PodCIDRs = cidrs
	return n
}

func TestParseClusterCIDRs(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "10.42.0.0/16", want: "10.42.0.0/16"},
		{in: "10.42.0.0/16,fd00:42::/56", want: "10.42.0.0/16 fd00:42::/56"},
		{in: "fd00:42::/56,10.42.0.0/16", want: "fd00:42::/56 10.42.0.0/16"},
		{in: "10.42.0.0/16,10.43.0.0/16", wantErr: true},
		{in: "10.42.0.0/16,", wantErr: true},
	} {
		got, err := parseClusterCIDRs(tc.in)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%q: err = %v", tc.in, err)
		}
		var s []string
		for _, c := range got {
			s = append(s, c.String())
		}
		if !tc.wantErr && strings.Join(s, " ") != tc.want {
			t.Errorf("%q: got %v, want %s", tc.in, s, tc.want)
		}
	}
}

func TestDesiredRoutesDualStack(t *testing.T) {
	nodes := []*corev1.Node{
		dualNode("self", []string{"10.42.0.0/24", "fd00:42::/64"}, "192.0.2.1", "fd00:2::1"),
		dualNode("a", []string{"10.42.1.0/24", "fd00:42:0:1::/64"}, "192.0.2.2", "fd00:2::2"),
		dualNode("v4-address-only", []string{"10.42.2.0/24", "fd00:42:0:2::/64"}, "192.0.2.3"),
	}
	all := desiredRoutes(nodes, "self")
	want := "10.42.1.0/24 via 192.0.2.2, 10.42.2.0/24 via 192.0.2.3, fd00:42:0:1::/64 via fd00:2::2"
	if got := routesString(all); got != want {
		t.Errorf("routes %q, want %q (IPv6 pod CIDRs via the node's IPv6 InternalIP)", got, want)
	}
	if got := routesString(ipv6Routes(all)); got != "fd00:42:0:1::/64 via fd00:2::2" {
		t.Errorf("ipv6Routes kept %q", got)
	}
}

// TestIPv6RoutesAndMasqueradeInNetns: IPv6 routes are added and, being ours,
// removed again; the ip6 table masquerades the IPv6 pod network.
func TestIPv6RoutesAndMasqueradeInNetns(t *testing.T) {
	name := newNetns(t, "-v6")
	ipIn(t, name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	ipIn(t, name, "addr", "add", "fd00:250::1/64", "dev", "v0", "nodad")
	ipIn(t, name, "link", "set", "v0", "up")
	ipIn(t, name, "link", "set", "v1", "up")
	runIn(t, name, func() {
		list := func() string {
			rs, err := netlink.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
			if err != nil {
				t.Error(err)
			}
			var out []string
			for _, r := range rs {
				out = append(out, r.Dst.String()+" via "+r.Gw.String())
			}
			return strings.Join(out, ", ")
		}
		peer := dualNode("peer", []string{"10.42.1.0/24", "fd00:42:0:1::/64"}, "fd00:250::2")
		if err := syncRoutes(desiredRoutes(nodesOf(peer), "self")); err != nil {
			t.Errorf("sync: %v", err)
			return
		}
		if got := list(); got != "fd00:42:0:1::/64 via fd00:250::2" {
			t.Errorf("IPv6 routes %q", got)
		}
		if err := syncRoutes(nil); err != nil {
			t.Errorf("sync: %v", err)
			return
		}
		if got := list(); got != "" {
			t.Errorf("stale IPv6 routes left: %q", got)
		}
		_, v4, _ := net.ParseCIDR("10.42.0.0/16")
		_, v6, _ := net.ParseCIDR("fd00:42::/56")
		m, err := newMasquerader("capstan-network-test", []*net.IPNet{v4, v6})
		if err != nil {
			t.Error(err)
			return
		}
		if err := m.apply(context.Background()); err != nil {
			t.Error(err)
			return
		}
		rules, err := m.tables[1].nft.ListRules(context.Background(), "postrouting")
		if err != nil || len(rules) != 1 {
			t.Errorf("ip6 postrouting has %d rules (%v), want the one masquerade rule", len(rules), err)
		}
		out, err := exec.Command("ip", "netns", "exec", name, "nft", "list", "table", "ip6", "capstan-network-test").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ip6 saddr fd00:42::/56 ip6 daddr != fd00:42::/56 masquerade fully-random") {
			t.Errorf("ip6 table (%v):\n%s", err, out)
		}
		m.remove(context.Background(), func(msg string, args ...any) { t.Errorf("%s %v", msg, args) })
	})
}
