package proxy

import (
	"context"
	"flag"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

var nftBinary = flag.Bool("nft-binary", false, "benchmarks program nftables through the nft binary (knftables) instead of netlink")

// BenchmarkSyncInNetns measures what issue 6 asks for, against the real
// kernel in a network namespace the benchmark makes (root and nft needed):
//
//   - full: Ruleset + apply of n Services × 10 endpoints into a table that
//     already holds the previous sync (every sync of the loop);
//   - initial: the same into an empty table (first sync after start);
//   - endpoint-change: one endpoint of one Service replaced, then synced
//     through the proxier's sync path, rule in place when apply returns.
//
// Tables are programmed through netlink as Run does; -nft-binary measures
// the nft binary (knftables) instead.
func BenchmarkSyncInNetns(b *testing.B) {
	_, ns := testNetns(b, "10.99.0.2/24", "172.30.0.0/16")
	_, cidr, _ := net.ParseCIDR("10.0.0.0/8")
	cfg := Config{NodeName: "node-0", NodeIPs: []net.IP{net.ParseIP("192.168.0.10")}, ClusterCIDR: cidr}
	const table = "capstan-proxy-bench"
	ctx := context.Background()
	nl := newNetlinkTables(table)
	b.Cleanup(func() { _ = nl.close() })
	var nft tables = nl
	if *nftBinary {
		if err := inNetns(ns, func() error {
			k, err := knftables.New(knftables.IPv4Family, table)
			nft = knftablesTables{k}
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	// Every call runs in ns: the netlink socket is opened on the calling
	// thread, and knftables execs nft, which inherits its namespace.
	// cpu-ms/op is the CPU time of the process and its children (nft)
	// while timed: unlike ns/op, it does not grow when the machine is busy.
	// One thread stays in ns for the whole benchmark, as the proxy's own
	// goroutine does: entering a namespace per call costs milliseconds of
	// its own.
	work := make(chan func() error)
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := netns.Set(ns); err != nil {
			done <- err
			return
		}
		done <- nil
		for f := range work {
			done <- f()
		}
	}()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { close(work) }) // after the table cleanup below (LIFO)
	var cpu time.Duration
	run := func(f func() error) {
		b.Helper()
		start := cpuTime()
		work <- f
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - start
	}
	report := func(b *testing.B, untimed time.Duration) {
		b.ReportMetric(float64(cpu-untimed)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
	b.Cleanup(func() { run(func() error { return nft.deleteTable(ctx) }) })
	for _, n := range []int{100, 1000} {
		svcs, slices := benchCluster(n, 10)
		b.Run(fmt.Sprintf("full/services=%d", n), func(b *testing.B) {
			run(func() error { return apply(ctx, nft, Ruleset(cfg, svcs, slices)) })
			cpu = 0
			for b.Loop() {
				run(func() error { return apply(ctx, nft, Ruleset(cfg, svcs, slices)) })
			}
			report(b, 0)
		})
		b.Run(fmt.Sprintf("initial/services=%d", n), func(b *testing.B) {
			cpu = 0
			var untimed time.Duration
			for b.Loop() {
				b.StopTimer()
				before := cpu
				run(func() error { return nft.deleteTable(ctx) })
				untimed += cpu - before
				b.StartTimer()
				run(func() error { return apply(ctx, nft, Ruleset(cfg, svcs, slices)) })
			}
			report(b, untimed)
		})
		b.Run(fmt.Sprintf("endpoint-change/services=%d", n), func(b *testing.B) {
			s := newSyncer(nft)
			g := newGenerator(cfg)
			run(func() error { return s.sync(ctx, g.rules(svcs, slices)) })
			cpu = 0
			i := 0
			for b.Loop() {
				b.StopTimer()
				changed := bumpEndpoint(slices, i)
				i++
				b.StartTimer()
				run(func() error { return s.sync(ctx, g.rules(svcs, changed)) })
			}
			report(b, 0)
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

// cpuTime is the user and system CPU time of this process and its waited-for
// children so far.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
}
