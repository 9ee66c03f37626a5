// Package proxy is the service proxy: it turns Services and EndpointSlices
// into an nftables ruleset (family ip, one table of its own) that gives each
// Service its virtual IPs and node ports, as upstream kube-proxy's nftables
// mode does.
//
// The ruleset is a pure function, Ruleset, of the Services, EndpointSlices
// and node facts, built in one part per Service so that a sync can reuse
// and compare only what changed; Run is the thin shell around it:
// informers, a rate-limited sync loop that applies each ruleset in one
// nftables transaction (the whole table on the first sync, only the
// difference from the last applied ruleset afterwards), and removal of the
// table when it returns. Transactions go to the kernel as nf_tables netlink
// messages (netlinkTables), not through the nft binary; the rule compiler
// accepts exactly the nft syntax Ruleset writes.
//
// It must not touch tables other than its own, must not read etcd or import
// the API server's storage (it is a client of the API like any other), and
// must not keep package-level state.
//
// Dual-stack: when the pod network has an IPv6 CIDR, the same ruleset is
// generated a second time over the IPv6 cluster IPs, external IPs, node IPs
// and IPv6 EndpointSlices (Config.IPv6) into an ip6 table of the same name,
// synced in the same loop. That table is programmed through the nft binary
// (knftables): the netlink rule compiler speaks IPv4 only.
package proxy
