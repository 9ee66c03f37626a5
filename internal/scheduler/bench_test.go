package scheduler

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	schedcache "github.com/capstan/capstan/internal/scheduler/cache"
	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/profile"
)

// benchSizes reads CAPSTAN_SCHED_BENCH_NODES (comma-separated node counts,
// default "1000,5000") and CAPSTAN_SCHED_BENCH_PODS (default 10000).
func benchSizes(b *testing.B) ([]int, int) {
	nodes := []int{1000, 5000}
	if v := os.Getenv("CAPSTAN_SCHED_BENCH_NODES"); v != "" {
		nodes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("CAPSTAN_SCHED_BENCH_NODES: %v", err)
			}
			nodes = append(nodes, n)
		}
	}
	pods := 10000
	if v := os.Getenv("CAPSTAN_SCHED_BENCH_PODS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("CAPSTAN_SCHED_BENCH_PODS: %v", err)
		}
		pods = n
	}
	return nodes, pods
}

// benchBinds reads CAPSTAN_SCHED_BENCH_BINDS (concurrent binds, 0 = default).
func benchBinds(b *testing.B) int {
	n, err := strconv.Atoi(os.Getenv("CAPSTAN_SCHED_BENCH_BINDS"))
	if err != nil {
		return 0
	}
	return n
}

// parallel runs f(i) for i in [0,n) on workers goroutines, failing b on error.
func parallel(b *testing.B, n, workers int, f func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
}

// BenchmarkScheduling measures end-to-end throughput through a real
// in-process API server: from the first pod create to the last bind, with
// pods created by 16 goroutines. Run with -benchtime=1x; sizes by env (see
// benchSizes).
//
// CAPSTAN_SCHED_BENCH_VARIANTS picks workloads (default "plain"; also
// "anti-affinity", "spread", see variantPod).
func BenchmarkScheduling(b *testing.B) {
	nodeCounts, pods := benchSizes(b)
	for _, variant := range benchVariants(variantPlain) {
		for _, nodes := range nodeCounts {
			b.Run(fmt.Sprintf("%s/nodes=%d/pods=%d", variant, nodes, pods), func(b *testing.B) {
				benchScheduling(b, variant, nodes, pods)
			})
		}
	}
}

// benchCluster starts an API server with nodes fake nodes (cpu 32, memory
// 256Gi, 110 pods) and returns a client config (for the scheduler) and a
// protobuf clientset (for the pods), both on the benchmark's transport,
// and the count of TCP connections that transport dialed.
func benchCluster(b *testing.B, nodes int) (*rest.Config, kubernetes.Interface, *atomic.Int64) {
	srv := apiservertest.Start(b, nil)
	cfg := rest.CopyConfig(srv.Config)
	t, dials := benchTransport(b)
	cfg.Transport = t
	pcfg := rest.CopyConfig(cfg)
	pcfg.ContentType = "application/vnd.kubernetes.protobuf"
	pcfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cs, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		b.Fatal(err)
	}
	parallel(b, nodes, 16, func(i int) error {
		_, err := cs.CoreV1().Nodes().Create(context.Background(), benchNode(i), metav1.CreateOptions{})
		return err
	})
	return cfg, cs, dials
}

// benchTransport is the HTTP transport of the benchmark's clients, which
// counts the TCP connections it dials (reported as dials/pod). The test API
// server speaks plain HTTP/1.1, for which client-go uses
// http.DefaultTransport: it keeps 2 idle connections per host, so with 32
// pod creators and 32 binds in flight nearly every request dialed and
// closed a connection (about 7% of the process's CPU). A real server is
// TLS with HTTP/2, one multiplexed connection. So by default the pool
// keeps enough idle connections for the benchmark's concurrency;
// CAPSTAN_SCHED_BENCH_TRANSPORT=default keeps net/http's limits, as
// before, for comparison.
func benchTransport(b *testing.B) (*http.Transport, *atomic.Int64) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if os.Getenv("CAPSTAN_SCHED_BENCH_TRANSPORT") != "default" {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 512
	}
	dials := &atomic.Int64{}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	b.Cleanup(t.CloseIdleConnections)
	return t, dials
}

// cpuTime is the CPU time the process has used so far (user + system):
// unlike wall time it hardly depends on what else the machine runs.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchScheduling(b *testing.B, variant string, nodes, pods int) {
	if nodes*110 < pods*b.N {
		b.Skipf("%d nodes cannot hold %d pods", nodes, pods*b.N)
	}
	restConfig, cs, dials := benchCluster(b, nodes)
	ctx := context.Background()
	s := startScheduler(b, nil, Config{RestConfig: restConfig})
	waitFor(b, time.Minute, "nodes in the scheduler cache", func() (bool, error) {
		n, _ := s.cache.Counts()
		return n == nodes, nil
	})
	b.ReportAllocs()
	b.ResetTimer()
	var total time.Duration
	cpuStart, dialStart := cpuTime(b), dials.Load()
	for iter := range b.N {
		ns := fmt.Sprintf("bench-%d", iter)
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		before := s.Bound()
		stopProfile := profileRegion(b)
		start := time.Now()
		createPods(b, cs, ns, pods, variant, variantGroups(nodes, pods))
		b.Logf("created %d pods in %v, %d bound by then", pods, time.Since(start), s.Bound()-before)
		waitFor(b, 10*time.Minute, "all pods bound", func() (bool, error) {
			return s.Bound()-before >= int64(pods), nil
		})
		total += time.Since(start)
		stopProfile()
	}
	b.StopTimer()
	b.ReportMetric(float64(pods*b.N)/total.Seconds(), "pods/s")
	b.ReportMetric(float64(cpuTime(b)-cpuStart)/float64(time.Millisecond)/float64(pods*b.N), "cpu-ms/pod")
	b.ReportMetric(float64(dials.Load()-dialStart)/float64(pods*b.N), "dials/pod")
}

// BenchmarkSchedulingPrecreated creates the pods before the scheduler
// starts and measures from its start to the last bind: the scheduler and
// binding path without the cost of pod creation. One iteration; sizes as
// BenchmarkScheduling.
func BenchmarkSchedulingPrecreated(b *testing.B) {
	nodeCounts, pods := benchSizes(b)
	for _, nodes := range nodeCounts {
		b.Run(fmt.Sprintf("nodes=%d/pods=%d", nodes, pods), func(b *testing.B) {
			restConfig, cs, dials := benchCluster(b, nodes)
			ns := "bench"
			if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			createPods(b, cs, ns, pods, variantPlain, 1)
			b.ResetTimer()
			stopProfile := profileRegion(b)
			start, cpuStart, dialStart := time.Now(), cpuTime(b), dials.Load()
			s := startScheduler(b, nil, Config{RestConfig: restConfig, MaxConcurrentBinds: benchBinds(b)})
			waitFor(b, 10*time.Minute, "all pods bound", func() (bool, error) {
				return s.Bound() >= int64(pods), nil
			})
			stopProfile()
			b.ReportMetric(float64(pods)/time.Since(start).Seconds(), "pods/s")
			b.ReportMetric(float64(cpuTime(b)-cpuStart)/float64(time.Millisecond)/float64(pods), "cpu-ms/pod")
			b.ReportMetric(float64(dials.Load()-dialStart)/float64(pods), "dials/pod")
		})
	}
}

// profileRegion starts a CPU profile of the measured region when
// CAPSTAN_SCHED_BENCH_CPUPROFILE names a file (unlike -cpuprofile, it
// leaves out setup such as creating nodes and pods); the returned func
// stops it.
func profileRegion(b *testing.B) func() {
	path := os.Getenv("CAPSTAN_SCHED_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func createPods(b *testing.B, cs kubernetes.Interface, ns string, n int, variant string, groups int) {
	ctx := context.Background()
	parallel(b, n, 32, func(i int) error {
		p, err := variantPod(variant, i, groups)
		if err != nil {
			return err
		}
		p.Namespace = ns
		_, err = cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		return err
	})
}

// BenchmarkDecide measures the deterministic core alone: snapshot, filter,
// score and assume, over the node cache without any API calls, for each
// workload variant. The cache is emptied every 100 pods per node (plain)
// or 5 (anti-affinity, spread) so the cluster stays within capacity.
func BenchmarkDecide(b *testing.B) {
	for _, variant := range []string{variantPlain, variantAntiAffinity, variantSpread} {
		for _, nodes := range []int{100, 1000, 5000} {
			b.Run(fmt.Sprintf("%s/nodes=%d", variant, nodes), func(b *testing.B) {
				benchDecide(b, variant, nodes)
			})
		}
	}
}

func benchDecide(b *testing.B, variant string, nodes int) {
	newCache := func() *schedcache.Cache {
		c := schedcache.New()
		for i := range nodes {
			c.SetNode(benchNode(i))
		}
		return c
	}
	resetEvery := nodes * 100
	if variant != variantPlain {
		resetEvery = nodes * 5
	}
	groups := variantGroups(nodes, resetEvery)
	c := newCache()
	fw, err := profile.Build(DefaultProfile())
	if err != nil {
		b.Fatal(err)
	}
	algo := framework.NewAlgorithm(fw, 0, runtime.GOMAXPROCS(0))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		pod, err := variantPod(variant, i, groups)
		if err != nil {
			b.Fatal(err)
		}
		pod.UID = types.UID(strconv.Itoa(i))
		res, err := algo.Schedule(ctx, pod, c.Snapshot())
		if err != nil {
			b.Fatal(err)
		}
		pod.Spec.NodeName = res.Node
		if err := c.AssumePod(pod); err != nil {
			b.Fatal(err)
		}
		if i%resetEvery == resetEvery-1 {
			b.StopTimer()
			c = newCache()
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pods/s")
}
