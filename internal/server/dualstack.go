package server

import (
	"fmt"
	"net"
	"strings"
)

// parseCIDRPair parses a single CIDR or a comma-separated IPv4,IPv6 pair (in
// either order; the first is the primary), as upstream's --cluster-cidr and
// --service-cluster-ip-range accept. secondary is nil for one CIDR.
func parseCIDRPair(flag, value string) (primary, secondary *net.IPNet, err error) {
	parts := strings.Split(value, ",")
	if len(parts) > 2 {
		return nil, nil, fmt.Errorf("%s %q: at most two CIDRs, one IPv4 and one IPv6", flag, value)
	}
	cidrs := make([]*net.IPNet, 0, len(parts))
	for _, p := range parts {
		_, c, err := net.ParseCIDR(strings.TrimSpace(p))
		if err != nil {
			return nil, nil, fmt.Errorf("%s %q: %w", flag, value, err)
		}
		cidrs = append(cidrs, c)
	}
	if len(cidrs) == 1 {
		return cidrs[0], nil, nil
	}
	if (cidrs[0].IP.To4() != nil) == (cidrs[1].IP.To4() != nil) {
		return nil, nil, fmt.Errorf("%s %q: a dual-stack pair needs one IPv4 and one IPv6 CIDR", flag, value)
	}
	return cidrs[0], cidrs[1], nil
}
