package nodeipam

import (
	"encoding/json"
	"fmt"
	"net"
)

// Upstream's default node range sizes (node-cidr-mask-size-ipv4/-ipv6).
const (
	defaultMaskIPv4 = 24
	defaultMaskIPv6 = 64
)

// newAllocators builds one allocator per cluster CIDR of o, primary first,
// with the node range size of its family.
func newAllocators(o Options) ([]*allocator, error) {
	if o.ClusterCIDR == nil {
		return nil, fmt.Errorf("nodeipam: no cluster CIDR")
	}
	cidrs := []*net.IPNet{o.ClusterCIDR}
	if o.SecondaryClusterCIDR != nil {
		if isIPv4(o.SecondaryClusterCIDR) == isIPv4(o.ClusterCIDR) {
			return nil, fmt.Errorf("cluster CIDRs %s and %s: a dual-stack cluster needs one IPv4 and one IPv6 CIDR", o.ClusterCIDR, o.SecondaryClusterCIDR)
		}
		cidrs = append(cidrs, o.SecondaryClusterCIDR)
	}
	allocs := make([]*allocator, 0, len(cidrs))
	for _, cidr := range cidrs {
		size := o.NodeMaskSizeIPv6
		if size == 0 {
			size = defaultMaskIPv6
		}
		if isIPv4(cidr) {
			size = o.NodeMaskSize
			if size == 0 {
				size = defaultMaskIPv4
			}
		}
		a, err := newAllocator(cidr, size)
		if err != nil {
			return nil, err
		}
		allocs = append(allocs, a)
	}
	return allocs, nil
}

func isIPv4(cidr *net.IPNet) bool { return cidr.IP.To4() != nil }

// occupyCIDR marks cidr taken in the allocator it belongs to; false if it
// belongs to none.
func occupyCIDR(allocs []*allocator, cidr string) bool {
	for _, a := range allocs {
		if a.occupy(cidr) {
			return true
		}
	}
	return false
}

// releaseCIDR frees cidr in whichever allocator holds it.
func releaseCIDR(allocs []*allocator, cidr string) {
	for _, a := range allocs {
		a.release(cidr)
	}
}

// podCIDRPatch is the strategic merge patch setting spec.podCIDR (the
// primary) and spec.podCIDRs.
func podCIDRPatch(cidrs []string) ([]byte, error) {
	type spec struct {
		PodCIDR  string   `json:"podCIDR"`
		PodCIDRs []string `json:"podCIDRs"`
	}
	b, err := json.Marshal(map[string]spec{"spec": {PodCIDR: cidrs[0], PodCIDRs: cidrs}})
	if err != nil {
		return nil, fmt.Errorf("encode pod CIDR patch: %w", err)
	}
	return b, nil
}
