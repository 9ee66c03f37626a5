package resourcequota_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver"
	admissionquota "github.com/capstan/capstan/internal/apiserver/admission/resourcequota"
	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota/quota"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/resourcequota"
)

type harness struct {
	cs    kubernetes.Interface
	clock *clocktesting.FakeClock
}

// start runs an API server with the ResourceQuota plugin and the
// controller over it.
func start(t *testing.T) *harness {
	t.Helper()
	srv := apiservertest.Start(t, func(c *apiserver.Config) { c.AdmissionPlugins = []string{admissionquota.Name} })
	cs := srv.Clientset(t, true)
	md, err := metadata.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	f := informers.NewSharedInformerFactory(cs, 0)
	core := f.Core().V1()
	fc := clocktesting.NewFakeClock(time.Now())
	c, err := resourcequota.New(resourcequota.Options{Client: cs, Metadata: md, Discovery: disc, Quotas: core.ResourceQuotas(),
		Pods: core.Pods(), Services: core.Services(), Claims: core.PersistentVolumeClaims(), Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	f.Start(ctx.Done())
	go func() { defer close(done); _ = c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; f.Shutdown() })
	return &harness{cs: cs, clock: fc}
}

func rl(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// waitUsed waits until the quota's status reports want (and hard = spec).
func (h *harness) waitUsed(t *testing.T, name string, want corev1.ResourceList) {
	t.Helper()
	var last *corev1.ResourceQuota
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		q, err := h.cs.CoreV1().ResourceQuotas("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = q
		return quota.Equal(q.Status.Used, want) && quota.Equal(q.Status.Hard, q.Spec.Hard), nil
	})
	if err != nil {
		t.Fatalf("quota %s status = %+v, want used %s: %v", name, last.Status, quota.String(want), err)
	}
}

func (h *harness) createPod(name string) error {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img",
			Resources: corev1.ResourceRequirements{Requests: rl("cpu", "100m")}}}}}
	_, err := h.cs.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{})
	return err
}

func TestController(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	for i := range 2 {
		if err := h.createPod(fmt.Sprintf("before-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}
	if _, err := h.cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute-quota"},
		Spec: corev1.ResourceQuotaSpec{Hard: rl("pods", "3", "requests.cpu", "1", "count/configmaps", "5", "services", "2")}}
	if _, err := h.cs.CoreV1().ResourceQuotas("default").Create(ctx, q, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// default also holds the kubernetes Service.
	h.waitUsed(t, "compute-quota", rl("pods", "2", "requests.cpu", "200m", "count/configmaps", "1", "services", "1"))

	t.Run("admission charges, the limit refuses", func(t *testing.T) {
		if err := h.createPod("third"); err != nil {
			t.Fatal(err)
		}
		err := h.createPod("fourth")
		want := `pods "fourth" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=3, limited: pods=3`
		if !apierrors.IsForbidden(err) || err.Error() != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
	t.Run("deleting a pod frees it", func(t *testing.T) {
		if err := h.cs.CoreV1().Pods("default").Delete(ctx, "third", *metav1.NewDeleteOptions(0)); err != nil {
			t.Fatal(err)
		}
		// default also holds the kubernetes Service.
		h.waitUsed(t, "compute-quota", rl("pods", "2", "requests.cpu", "200m", "count/configmaps", "1", "services", "1"))
		if err := h.createPod("fourth"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a finished pod frees it", func(t *testing.T) {
		p, err := h.cs.CoreV1().Pods("default").Get(ctx, "fourth", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Status.Phase = corev1.PodSucceeded
		if _, err := h.cs.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		// default also holds the kubernetes Service.
		h.waitUsed(t, "compute-quota", rl("pods", "2", "requests.cpu", "200m", "count/configmaps", "1", "services", "1"))
	})
	t.Run("spec change updates hard and used", func(t *testing.T) {
		cur, err := h.cs.CoreV1().ResourceQuotas("default").Get(ctx, "compute-quota", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Hard = rl("pods", "10", "count/pods", "10")
		if _, err := h.cs.CoreV1().ResourceQuotas("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		h.waitUsed(t, "compute-quota", rl("pods", "2", "count/pods", "3"))
	})
	t.Run("resync recomputes counts without informers", func(t *testing.T) {
		cur, err := h.cs.CoreV1().ResourceQuotas("default").Get(ctx, "compute-quota", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Hard = rl("configmaps", "5")
		if _, err := h.cs.CoreV1().ResourceQuotas("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		h.waitUsed(t, "compute-quota", rl("configmaps", "1"))
		if err := h.cs.CoreV1().ConfigMaps("default").Delete(ctx, "cm", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// No configmap informer here: only the periodic resync sees it.
		h.clock.Step(resourcequota.DefaultResyncPeriod)
		h.waitUsed(t, "compute-quota", rl("configmaps", "0"))
	})
}

func TestNeedsSync(t *testing.T) {
	hard := rl("pods", "3")
	tests := []struct {
		name   string
		status corev1.ResourceQuotaStatus
		want   bool
	}{
		{"never computed", corev1.ResourceQuotaStatus{}, true},
		{"hard differs", corev1.ResourceQuotaStatus{Hard: rl("pods", "2"), Used: rl("pods", "0")}, true},
		{"usage missing", corev1.ResourceQuotaStatus{Hard: hard, Used: rl()}, true},
		{"up to date", corev1.ResourceQuotaStatus{Hard: hard, Used: rl("pods", "1")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: hard}, Status: tt.status}
			if got := resourcequota.NeedsSync(q); got != tt.want {
				t.Errorf("NeedsSync = %v, want %v", got, tt.want)
			}
		})
	}
}
