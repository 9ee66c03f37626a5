package proxy

import (
	"context"
	"fmt"
	"net"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

// BenchmarkSyncInNetns measures what issue 6 asks for, against the real
// kernel in a network namespace the benchmark makes (root and nft needed):
//
//   - full: Ruleset + apply of n Services × 10 endpoints into a table that
//     already holds the previous sync (every sync of the loop);
//   - initial: the same into an empty table (first sync after start);
//   - endpoint-change: one endpoint of one Service replaced, then synced
//     through the proxier's sync path, rule in place when apply returns.
func BenchmarkSyncInNetns(b *testing.B) {
	_, ns := testNetns(b, "10.99.0.2/24", "172.30.0.0/16")
	_, cidr, _ := net.ParseCIDR("10.0.0.0/8")
	cfg := Config{NodeName: "node-0", NodeIPs: []net.IP{net.ParseIP("192.168.0.10")}, ClusterCIDR: cidr}
	const table = "capstan-proxy-bench"
	ctx := context.Background()
	var nft knftables.Interface
	if err := inNetns(ns, func() (err error) {
		nft, err = knftables.New(knftables.IPv4Family, table)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	// Every nft call runs in ns: knftables execs nft, which inherits the
	// namespace of the calling thread.
	run := func(f func() error) {
		b.Helper()
		if err := inNetns(ns, f); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { run(func() error { return deleteTable(ctx, nft) }) })
	for _, n := range []int{100, 1000} {
		svcs, slices := benchCluster(n, 10)
		b.Run(fmt.Sprintf("full/services=%d", n), func(b *testing.B) {
			run(func() error { return apply(ctx, nft, Ruleset(cfg, svcs, slices)) })
			b.ResetTimer()
			for b.Loop() {
				run(func() error { return apply(ctx, nft, Ruleset(cfg, svcs, slices)) })
			}
		})
		b.Run(fmt.Sprintf("initial/services=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				run(func() error { return deleteTable(ctx, nft) })
				b.StartTimer()
				run(func() error { return apply(ctx, nft, Ruleset(cfg, svcs, slices)) })
			}
		})
		b.Run(fmt.Sprintf("endpoint-change/services=%d", n), func(b *testing.B) {
			s := newSyncer(nft)
			run(func() error { return s.sync(ctx, Ruleset(cfg, svcs, slices)) })
			i := 0
			for b.Loop() {
				b.StopTimer()
				changed := bumpEndpoint(slices, i)
				i++
				b.StartTimer()
				run(func() error { return s.sync(ctx, Ruleset(cfg, svcs, changed)) })
			}
		})
	}
}

// bumpEndpoint returns slices with one endpoint address of slice i%len
// replaced by a fresh one; the input slices are not modified.
func bumpEndpoint(slices []*discoveryv1.EndpointSlice, i int) []*discoveryv1.EndpointSlice {
	out := append([]*discoveryv1.EndpointSlice(nil), slices...)
	k := i % len(out)
	s := out[k].DeepCopy()
	s.Endpoints[0].Addresses = []string{fmt.Sprintf("10.200.%d.%d", (i/250)%250, i%250+1)}
	out[k] = s
	return out
}
