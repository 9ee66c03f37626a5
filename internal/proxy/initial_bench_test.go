package proxy

import (
	"context"
	"fmt"
	"net"
	"testing"
)

// encodeOnlyTables is a tables that encodes every batch into netlink
// messages as netlinkTables does and sends nothing: an empty table that
// stays empty. It isolates building and encoding from the kernel.
type encodeOnlyTables struct {
	msgs int
}

func (e *encodeOnlyTables) run(_ context.Context, b *batch) error {
	enc := newEncoder("bench")
	for i, o := range b.ops {
		if err := enc.op(o); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
	}
	enc.flushElements()
	e.msgs = len(enc.msgs)
	return enc.err
}

func (e *encodeOnlyTables) list(context.Context) (chains, sets, maps []string, err error) {
	return nil, nil, nil, nil
}

func (e *encodeOnlyTables) deleteTable(context.Context) error { return nil }

// BenchmarkInitialSync splits the first sync of issue 6 (n Services × 10
// endpoints into an empty table) into its user-space phases, without root:
// generation alone, and generation plus encoding into netlink messages. The
// kernel's share is what BenchmarkSyncInNetns/initial adds to the latter.
func BenchmarkInitialSync(b *testing.B) {
	_, cidr, _ := net.ParseCIDR("10.0.0.0/8")
	cfg := Config{NodeName: "node-0", NodeIPs: []net.IP{net.ParseIP("192.168.0.10")}, ClusterCIDR: cidr}
	ctx := context.Background()
	for _, n := range []int{100, 1000} {
		svcs, slices := benchCluster(n, 10)
		b.Run(fmt.Sprintf("generate/services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Ruleset(cfg, svcs, slices)
			}
		})
		b.Run(fmt.Sprintf("generate+encode/services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			t := &encodeOnlyTables{}
			for b.Loop() {
				if err := apply(ctx, t, Ruleset(cfg, svcs, slices)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(t.msgs), "msgs/op")
		})
	}
}
