package network

import (
	"context"
	"fmt"
	"net"
	"strings"

	"sigs.k8s.io/knftables"
)

// parseClusterCIDRs parses the pod network: one CIDR or a comma-separated
// IPv4,IPv6 pair (either order), as --cluster-cidr accepts.
func parseClusterCIDRs(s string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range strings.Split(s, ",") {
		_, c, err := net.ParseCIDR(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("cluster CIDR %q: %w", s, err)
		}
		out = append(out, c)
	}
	if len(out) > 2 || (len(out) == 2 && isIPv4(out[0]) == isIPv4(out[1])) {
		return nil, fmt.Errorf("cluster CIDR %q: want one CIDR or one IPv4 and one IPv6", s)
	}
	return out, nil
}

func isIPv4(c *net.IPNet) bool { return c.IP.To4() != nil }

// ipv6Routes keeps the IPv6 routes of rs: VXLAN carries IPv4 only, so in
// VXLAN mode IPv6 pod CIDRs are still reached host-gw, via the node's IPv6
// InternalIP.
func ipv6Routes(rs []route) []route {
	var out []route
	for _, r := range rs {
		if r.dst.IP.To4() == nil {
			out = append(out, r)
		}
	}
	return out
}

// masquerader programs masquerade for each family of the pod network: an
// "ip" table for the IPv4 CIDR, an "ip6" table (same name) for the IPv6 one.
type masquerader struct {
	tables []masqTable
}

type masqTable struct {
	nft     knftables.Interface
	cluster *net.IPNet
}

func newMasquerader(table string, clusters []*net.IPNet) (*masquerader, error) {
	m := &masquerader{}
	for _, c := range clusters {
		family := knftables.IPv4Family
		if !isIPv4(c) {
			family = knftables.IPv6Family
		}
		nft, err := knftables.New(family, table)
		if err != nil {
			return nil, fmt.Errorf("nftables %s: %w", family, err)
		}
		m.tables = append(m.tables, masqTable{nft: nft, cluster: c})
	}
	return m, nil
}

func (m *masquerader) apply(ctx context.Context) error {
	for _, t := range m.tables {
		if err := applyMasquerade(ctx, t.nft, t.cluster); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes the tables; errors are reported through warn.
func (m *masquerader) remove(ctx context.Context, warn func(msg string, args ...any)) {
	for _, t := range m.tables {
		tx := t.nft.NewTransaction()
		tx.Delete(&knftables.Table{})
		if err := t.nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
			warn("remove network table", "err", err)
		}
	}
}

// addrMatch is the nftables payload keyword of cluster's family.
func addrMatch(cluster *net.IPNet) string {
	if isIPv4(cluster) {
		return "ip"
	}
	return "ip6"
}
