package apiserver_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

func podQuota(hard string) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse(hard)}}}
}

// setQuota writes q's spec and status (hard = spec, used pods = used)
// through the API, as a user and the quota controller would.
func setQuota(ctx context.Context, cs kubernetes.Interface, ns, hard, used string) error {
	quotas := cs.CoreV1().ResourceQuotas(ns)
	q, err := quotas.Get(ctx, "q", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		q, err = quotas.Create(ctx, podQuota(hard), metav1.CreateOptions{})
	} else if err == nil {
		q.Spec = podQuota(hard).Spec
		q, err = quotas.Update(ctx, q, metav1.UpdateOptions{})
	}
	if err != nil {
		return err
	}
	q.Status = corev1.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: corev1.ResourceList{corev1.ResourcePods: resource.MustParse(used)}}
	_, err = quotas.UpdateStatus(ctx, q, metav1.UpdateOptions{})
	return err
}

// Admission reads namespaces, ServiceAccounts, LimitRanges, quotas and
// PriorityClasses from the watch cache; each step writes one of them
// through the API and immediately creates a pod whose admission depends
// on that write. Every step runs in several fresh namespaces so that a
// cache lagging behind the server's own writes would show.
func TestAdmissionSeesOwnWritesAtOnce(t *testing.T) {
	ctx := context.Background()
	_, cs, _ := startAdmitting(t)
	type step struct {
		name  string
		write func(ns string) error
		pod   func(*corev1.Pod)
		check func(*corev1.Pod, error) error
	}
	forbidden := func(_ *corev1.Pod, err error) error {
		if !apierrors.IsForbidden(err) {
			return fmt.Errorf("err = %v, want 403", err)
		}
		return nil
	}
	admitted := func(_ *corev1.Pod, err error) error { return err }
	steps := []step{
		{name: "account", write: func(ns string) error {
			_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "runner"}}, metav1.CreateOptions{})
			return err
		}, pod: func(p *corev1.Pod) { p.Spec.ServiceAccountName = "runner" }, check: admitted},
		{name: "quota full", write: func(ns string) error { return setQuota(ctx, cs, ns, "1", "1") }, check: forbidden},
		{name: "quota raised", write: func(ns string) error { return setQuota(ctx, cs, ns, "2", "1") }, check: admitted},
		{name: "quota used up by that pod", check: forbidden},
		{name: "quota deleted", write: func(ns string) error {
			return cs.CoreV1().ResourceQuotas(ns).Delete(ctx, "q", metav1.DeleteOptions{})
		}, check: admitted},
		{name: "limit range", write: func(ns string) error {
			_, err := cs.CoreV1().LimitRanges(ns).Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "lr"},
				Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
					DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("150m")}}}}}, metav1.CreateOptions{})
			return err
		}, check: func(p *corev1.Pod, err error) error {
			if err != nil {
				return err
			}
			if got := p.Spec.Containers[0].Resources.Requests.Cpu().String(); got != "150m" {
				return fmt.Errorf("cpu request = %s, want the LimitRange's 150m", got)
			}
			return nil
		}},
		{name: "priority class", write: func(ns string) error {
			_, err := cs.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "pc-" + ns}, Value: 4242}, metav1.CreateOptions{})
			return err
		}, pod: func(p *corev1.Pod) { p.Spec.PriorityClassName = "pc-" + p.Namespace }, check: func(p *corev1.Pod, err error) error {
			if err != nil {
				return err
			}
			if p.Spec.Priority == nil || *p.Spec.Priority != 4242 {
				return fmt.Errorf("priority = %v, want 4242", p.Spec.Priority)
			}
			return nil
		}},
		{name: "namespace deleted", write: func(ns string) error {
			return cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		}, check: forbidden},
	}
	for i := range 5 {
		ns := fmt.Sprintf("fresh-%d", i)
		namespaceWithAccount(t, cs, ns, nil)
		for j, s := range steps {
			if s.write != nil {
				if err := s.write(ns); err != nil {
					t.Fatalf("%s: %s: write: %v", ns, s.name, err)
				}
			}
			p := simplePod(fmt.Sprintf("p%d", j))
			p.Namespace = ns
			if s.pod != nil {
				s.pod(p)
			}
			got, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
			if err := s.check(got, err); err != nil {
				t.Errorf("%s: %s: %v", ns, s.name, err)
			}
		}
	}
}

// A quota whose status another API server just wrote (straight to the
// store, unseen by this server) is charged from its current usage: the
// status write on a stale cached copy conflicts and the retry reads the
// newer version.
func TestAdmissionQuotaWrittenElsewhere(t *testing.T) {
	ctx := context.Background()
	srv, cs, _ := startAdmitting(t)
	namespaceWithAccount(t, cs, "shared", nil)
	if err := setQuota(ctx, cs, "shared", "1000", "0"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		elsewhere := 10 * (i + 1)
		_, err := srv.Store.GuaranteedUpdate(ctx, "/resourcequotas/shared/q", nil, func(cur runtime.Object) (runtime.Object, bool, error) {
			q := cur.(*corev1.ResourceQuota).DeepCopy()
			q.Status.Used[corev1.ResourcePods] = resource.MustParse(fmt.Sprint(elsewhere))
			return q, false, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Pods("shared").Create(ctx, simplePod(fmt.Sprintf("p%d", i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		q, err := cs.CoreV1().ResourceQuotas("shared").Get(ctx, "q", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if used := q.Status.Used[corev1.ResourcePods]; used.Value() != int64(elsewhere+1) {
			t.Errorf("after the write elsewhere (%d) and one pod, used pods = %s, want %d", elsewhere, used.String(), elsewhere+1)
		}
	}
}
