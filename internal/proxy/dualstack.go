package proxy

import (
	"context"
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

// splitClusterCIDR returns the IPv4 and IPv6 members of the pod network,
// given as one CIDR or a comma-separated IPv4,IPv6 pair (nil for a family
// it lacks).
func splitClusterCIDR(s string) (v4, v6 *net.IPNet, err error) {
	for _, p := range strings.Split(s, ",") {
		_, cidr, err := net.ParseCIDR(strings.TrimSpace(p))
		if err != nil {
			return nil, nil, fmt.Errorf("parse %q: %w", s, err)
		}
		switch {
		case cidr.IP.To4() != nil && v4 == nil:
			v4 = cidr
		case cidr.IP.To4() == nil && v6 == nil:
			v6 = cidr
		}
	}
	return v4, v6, nil
}

// ipv6Side is the IPv6 half of a dual-stack proxy: the same ruleset over
// the IPv6 cluster IPs and endpoints, in an ip6 table of the same name,
// programmed through the nft command (the netlink encoder speaks IPv4).
type ipv6Side struct {
	tables tables
	syncer *syncer
	gen    *generator
}

func newIPv6Side(cfg Config, nft knftables.Interface) *ipv6Side {
	t := knftablesTables{nft: nft}
	return &ipv6Side{tables: t, syncer: newSyncer(t), gen: newGenerator(cfg)}
}

func (s *ipv6Side) sync(ctx context.Context, svcs []*corev1.Service, slices []*discoveryv1.EndpointSlice) error {
	if err := s.syncer.sync(ctx, s.gen.rules(svcs, slices)); err != nil {
		return fmt.Errorf("ip6 table: %w", err)
	}
	return nil
}
