package resourcequota_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func startServer(t testing.TB) kubernetes.Interface {
	return startWith(t, []string{resourcequota.Name})
}

func startWith(t testing.TB, plugins []string) kubernetes.Interface {
	srv := apiservertest.Start(t, func(c *apiserver.Config) { c.AdmissionPlugins = plugins })
	return srv.Clientset(t, true)
}

// createQuota creates a quota and, standing in for the controller, sets
// its status (hard = spec, used = used).
func createQuota(t testing.TB, cs kubernetes.Interface, ns, name string, hard, used corev1.ResourceList) {
	t.Helper()
	ctx := context.Background()
	q, err := cs.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ResourceQuotaSpec{Hard: hard}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if used == nil {
		return
	}
	q.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: used}
	if _, err := cs.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func podNamed(name string, res *corev1.ResourceRequirements) *corev1.Pod {
	c := corev1.Container{Name: "nginx", Image: "nginx"}
	if res != nil {
		c.Resources = *res
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}
}

func pods(n string) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourcePods: resource.MustParse(n)}
}

// TestConcurrentCreates: 20 concurrent pod creates under pods=5 → exactly
// 5 succeed, the quota records 5, the others get upstream's 403.
func TestConcurrentCreates(t *testing.T) {
	cs := startServer(t)
	createQuota(t, cs, "default", "compute-quota", pods("5"), pods("0"))
	var ok, forbidden atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := cs.CoreV1().Pods("default").Create(context.Background(), podNamed(fmt.Sprintf("p%d", i), nil), metav1.CreateOptions{})
			switch {
			case err == nil:
				ok.Add(1)
			case apierrors.IsForbidden(err):
				forbidden.Add(1)
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 5 || forbidden.Load() != 15 {
		t.Errorf("admitted %d, refused %d; want 5 and 15", ok.Load(), forbidden.Load())
	}
	q, err := cs.CoreV1().ResourceQuotas("default").Get(context.Background(), "compute-quota", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if used := q.Status.Used[corev1.ResourcePods]; used.String() != "5" {
		t.Errorf("used pods = %s, want 5", used.String())
	}
}

func TestRefusals(t *testing.T) {
	cs := startServer(t)
	ctx := context.Background()
	createQuota(t, cs, "default", "compute-quota", pods("1"), pods("1"))
	limits := corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("2"), corev1.ResourceRequestsMemory: resource.MustParse("1Gi")}
	zero := corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("0"), corev1.ResourceRequestsMemory: resource.MustParse("0")}
	createQuota(t, cs, "kube-public", "compute-quota", limits, zero)
	createQuota(t, cs, "kube-system", "fresh", pods("0"), nil)
	within := &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}
	tests := []struct {
		name, ns string
		pod      *corev1.Pod
		dryRun   bool
		want     string
	}{
		{"exceeded", "default", podNamed("p", nil), false,
			`pods "p" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=1, limited: pods=1`},
		{"exceeded on dry run too", "default", podNamed("p", nil), true,
			`pods "p" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=1, limited: pods=1`},
		{"must specify", "kube-public", podNamed("nginx", nil), false,
			`pods "nginx" is forbidden: failed quota: compute-quota: must specify limits.cpu for: nginx; requests.memory for: nginx`},
		{"within limits", "kube-public", podNamed("ok", within), false, ""},
		{"quota not yet computed limits nothing", "kube-system", podNamed("early", nil), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := metav1.CreateOptions{}
			if tt.dryRun {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			_, err := cs.CoreV1().Pods(tt.ns).Create(ctx, tt.pod, opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				return
			}
			if !apierrors.IsForbidden(err) || err.Error() != tt.want {
				t.Fatalf("err = %v, want 403 %q", err, tt.want)
			}
		})
	}
	q, err := cs.CoreV1().ResourceQuotas("kube-public").Get(ctx, "compute-quota", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cpu, mem := q.Status.Used[corev1.ResourceLimitsCPU], q.Status.Used[corev1.ResourceRequestsMemory]; cpu.String() != "1" || mem.String() != "64Mi" {
		t.Errorf("used = %v, want limits.cpu=1 requests.memory=64Mi", q.Status.Used)
	}
}

// benchCases are pod creation without the plugin, with it and no quota
// in the namespace, and with a quota the pods count against.
func benchCases() []struct {
	name    string
	plugins []string
	quota   bool
} {
	return []struct {
		name    string
		plugins []string
		quota   bool
	}{{"plugin-off", []string{}, false}, {"no-quota", []string{resourcequota.Name}, false}, {"quota", []string{resourcequota.Name}, true}}
}

// BenchmarkCreatePod creates pods one after another (serial) and from 8
// goroutines (parallel) in one namespace.
func BenchmarkCreatePod(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		for _, bc := range benchCases() {
			b.Run(map[bool]string{false: "serial/", true: "parallel/"}[parallel]+bc.name, func(b *testing.B) {
				cs := startWith(b, bc.plugins)
				if bc.quota {
					createQuota(b, cs, "default", "compute-quota", pods("1000000"), pods("0"))
				}
				ctx := context.Background()
				var n atomic.Int64
				create := func() {
					name := fmt.Sprintf("p-%d", n.Add(1))
					if _, err := cs.CoreV1().Pods("default").Create(ctx, podNamed(name, nil), metav1.CreateOptions{}); err != nil {
						b.Error(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				if !parallel {
					for range b.N {
						create()
					}
					return
				}
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						create()
					}
				})
			})
		}
	}
}
