// Package network keeps a node's share of the flat pod network: a route to
// every other node's pod CIDR via that node's InternalIP (host-gw), or, for
// nodes not on one L2 segment, through a VXLAN device whose peers (ARP and
// forwarding entries) are derived from the Node objects alone, and
// masquerade for pods talking to anything outside the cluster's pod
// network (pod-to-pod traffic keeps its addresses). The CNI bridge plugin
// wires pods to the node; this package wires nodes to each other.
//
// Dual-stack (an IPv4,IPv6 cluster CIDR): IPv6 pod CIDRs are routed host-gw
// via the node's IPv6 InternalIP in both modes (VXLAN carries IPv4 only),
// and an ip6 table of the same name masquerades the IPv6 pod network.
//
// Routes are computed as a pure function of the Node objects and applied
// with netlink, tagged with their own protocol number so only ours are ever
// removed. It must not touch Services (the proxy's job) or CNI config.
package network
