package apiserver_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestEvictionConsumesTheBudget(t *testing.T) {
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	ctx := context.Background()
	pod := func(ns, name string, ready bool) {
		t.Helper()
		p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "x"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	budget := func(ns, name string, sel *metav1.LabelSelector, allowed, current, desired int32) {
		t.Helper()
		two := intstr.FromInt32(2)
		pdb, err := cs.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: policyv1.PodDisruptionBudgetSpec{Selector: sel, MinAvailable: &two}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: allowed, CurrentHealthy: current, DesiredHealthy: desired, ExpectedPods: 3}
		if _, err := cs.PolicyV1().PodDisruptionBudgets(ns).UpdateStatus(ctx, pdb, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	evict := func(ns, name string, dry bool) error {
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if dry {
			ev.DeleteOptions = &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}
		}
		return cs.CoreV1().Pods(ns).EvictV1(ctx, ev)
	}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
	for _, n := range []string{"a", "b", "c"} {
		pod("default", n, true)
	}
	pod("default", "sick", false)
	budget("default", "pdb", sel, 1, 3, 2)

	if err := evict("default", "a", true); err != nil {
		t.Fatalf("dry-run eviction: %v", err)
	}
	if err := evict("default", "sick", false); err != nil {
		t.Fatalf("an unready pod under a satisfied budget: %v", err)
	}
	if err := evict("default", "a", false); err != nil {
		t.Fatalf("first eviction: %v", err)
	}
	pdb, err := cs.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "pdb", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pdb.Status.DisruptionsAllowed != 0 || len(pdb.Status.DisruptedPods) != 1 || pdb.Status.DisruptedPods["a"].Time.IsZero() {
		t.Fatalf("budget after one eviction: allowed %d disrupted %v (dry run and the unready pod must not count)", pdb.Status.DisruptionsAllowed, pdb.Status.DisruptedPods)
	}
	err = evict("default", "b", false)
	var se *apierrors.StatusError
	if !errorsAs(err, &se) || se.ErrStatus.Code != 429 || se.ErrStatus.Message != "Cannot evict pod as it would violate the pod's disruption budget." ||
		len(se.ErrStatus.Details.Causes) != 1 || se.ErrStatus.Details.Causes[0].Message != "The disruption budget pdb needs 2 healthy pods and has 3 currently" {
		t.Fatalf("second eviction: %v", err)
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "b", metav1.GetOptions{}); err != nil {
		t.Fatalf("refused eviction deleted the pod: %v", err)
	}

	// policy/v1: an empty selector selects every pod; two budgets are an error.
	mustNS(t, cs, "other")
	pod("other", "p", true)
	budget("other", "everything", &metav1.LabelSelector{}, 0, 1, 1)
	if err := evict("other", "p", false); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("empty selector budget: %v", err)
	}
	budget("other", "second", sel, 1, 1, 0)
	if err := evict("other", "p", false); !apierrors.IsInternalError(err) {
		t.Fatalf("two budgets: %v", err)
	}
}

func mustNS(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
