// Package nodeipam gives every Node a pod CIDR (spec.podCIDR and
// spec.podCIDRs) carved from the cluster CIDR, as upstream's node IPAM
// controller does with its range allocator: /24s out of 10.42.0.0/16 by
// default, never two nodes the same range, ranges freed when nodes go.
// With a secondary cluster CIDR of the other family (dual-stack) every node
// gets one range per family in spec.podCIDRs, the primary first (IPv4
// /24, IPv6 /64 by default, as upstream's node-cidr-mask-size-ipv4/-ipv6).
//
// The allocator is a pure data structure; the controller moves its
// decisions through the API. It must not touch routes or CNI config: the
// agent does that from spec.podCIDR.
package nodeipam
