// Package nodeipam gives every Node a pod CIDR (spec.podCIDR and
// spec.podCIDRs) carved from the cluster CIDR, as upstream's node IPAM
// controller does with its range allocator: /24s out of 10.42.0.0/16 by
// default, never two nodes the same range, ranges freed when nodes go.
//
// The allocator is a pure data structure; the controller moves its
// decisions through the API. It must not touch routes or CNI config: the
// agent does that from spec.podCIDR.
package nodeipam
