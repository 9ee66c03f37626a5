package apiserver_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// processCPU is the CPU time the process has used so far (user + system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCreatePodsParallel creates 2,000 pods per iteration from 32
// concurrent protobuf clients, as the scheduling benchmark's pod creators
// do, and reports throughput and the process's CPU time per pod (API
// server, etcd and clients together). admission=none runs no plugins (the
// apiservertest default); admission=all runs every built-in plugin, whose
// lookups (namespace, ServiceAccount, LimitRanges, ResourceQuotas,
// PriorityClasses) are part of the measured path.
func BenchmarkCreatePodsParallel(b *testing.B) {
	const perIter, workers = 2000, 32
	for _, all := range []bool{false, true} {
		b.Run(map[bool]string{false: "admission=none", true: "admission=all"}[all], func(b *testing.B) {
			srv := apiservertest.Start(b, func(c *apiserver.Config) {
				if all {
					c.AdmissionPlugins = nil
				}
			})
			cs := srv.Clientset(b, true)
			ctx := context.Background()
			if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{
				ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			pods := cs.CoreV1().Pods("default")
			b.ResetTimer()
			start, cpu := time.Now(), processCPU(b)
			for i := range b.N {
				var wg sync.WaitGroup
				errs := make(chan error, workers)
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := w; j < perIter; j += workers {
							p := benchPod(fmt.Sprintf("p-%d-%d", i, j))
							p.Spec.AutomountServiceAccountToken = new(bool)
							if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
			}
			n := float64(perIter * b.N)
			b.ReportMetric(n/time.Since(start).Seconds(), "pods/s")
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(time.Millisecond)/n, "cpu-ms/pod")
		})
	}
}
