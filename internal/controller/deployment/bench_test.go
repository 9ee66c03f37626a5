package deployment_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// benchSizes reads CAPSTAN_BENCH_DEPLOYMENT_SIZES (comma separated, e.g.
// "100,1000,5000"); CI runs the small default.
func benchSizes(b *testing.B) []int {
	v := os.Getenv("CAPSTAN_BENCH_DEPLOYMENT_SIZES")
	if v == "" {
		return []int{100}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("bad CAPSTAN_BENCH_DEPLOYMENT_SIZES %q", v)
		}
		out = append(out, n)
	}
	return out
}

// BenchmarkDeploymentScale measures scaling a Deployment from 0 to size
// replicas until all its pods exist, against a real API server with the
// Deployment and ReplicaSet controllers.
func BenchmarkDeploymentScale(b *testing.B) {
	for _, size := range benchSizes(b) {
		b.Run(fmt.Sprintf("pods=%d", size), func(b *testing.B) {
			cs, _ := start(b, slog.New(slog.DiscardHandler))
			ctx, cancel := context.WithCancel(context.Background())
			var pods atomic.Int64
			reached := make(chan struct{}, 1)
			factory := informers.NewSharedInformerFactory(cs, 0)
			_, err := factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) {
				if pods.Add(1)%int64(size) == 0 {
					reached <- struct{}{}
				}
			}})
			if err != nil {
				b.Fatal(err)
			}
			factory.Start(ctx.Done())
			defer func() { cancel(); factory.Shutdown() }()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				ns := fmt.Sprintf("bench-%d", i)
				if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				if _, err := cs.AppsV1().Deployments(ns).Create(ctx, newDeployment("scale", 0, "img"), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				began := time.Now()
				patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, size)
				if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "scale", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
					b.Fatal(err)
				}
				select {
				case <-reached:
				case <-time.After(10 * time.Minute):
					b.Fatalf("only %d of %d pods after 10m", pods.Load()%int64(size), size)
				}
				b.ReportMetric(float64(size)/time.Since(began).Seconds(), "pods/s")
			}
		})
	}
}
