package disruption

import (
	"context"
	"log/slog"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func startIntegration(t *testing.T) kubernetes.Interface {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs,
		Pods: f.Core().V1().Pods(), PDBs: f.Policy().V1().PodDisruptionBudgets(),
		ReplicaSets: f.Apps().V1().ReplicaSets(), Deployments: f.Apps().V1().Deployments(),
		StatefulSets: f.Apps().V1().StatefulSets(), ReplicationControllers: f.Core().V1().ReplicationControllers()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; f.Shutdown() })
	return cs
}

func createPod(t *testing.T, cs kubernetes.Interface, name string, owner *metav1.OwnerReference) {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	if _, err := cs.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setReady(t *testing.T, cs kubernetes.Interface, name string, ready bool) {
	t.Helper()
	ctx := context.Background()
	p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := corev1.ConditionFalse
	if ready {
		s = corev1.ConditionTrue
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: s}}
	if _, err := cs.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func waitStatus(t *testing.T, cs kubernetes.Interface, what string, ok func(policyv1.PodDisruptionBudgetStatus) bool) policyv1.PodDisruptionBudgetStatus {
	t.Helper()
	var last policyv1.PodDisruptionBudgetStatus
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		pdb, err := cs.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = pdb.Status
		return pdb.Status.ObservedGeneration == pdb.Generation && ok(pdb.Status), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: last status %+v", what, last)
	}
	return last
}

// evict posts an Eviction without client-go's automatic retries of a 429
// (which honour Retry-After: 10s).
func evict(cs kubernetes.Interface, name string) error {
	ev := &policyv1.Eviction{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}}
	return cs.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name(name).
		SubResource("eviction").Body(ev).MaxRetries(0).Do(context.Background()).Error()
}

func createPDB(t *testing.T, cs kubernetes.Interface, minAvail, maxUnavail *intstr.IntOrString) {
	t.Helper()
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: minAvail, MaxUnavailable: maxUnavail,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	if _, err := cs.PolicyV1().PodDisruptionBudgets("default").Create(context.Background(), pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEvictionFollowsBudgetStatus(t *testing.T) {
	cs := startIntegration(t)
	for _, n := range []string{"a", "b", "c"} {
		createPod(t, cs, n, nil)
	}
	setReady(t, cs, "a", true)
	setReady(t, cs, "b", true)
	createPDB(t, cs, ptrIOS(intstr.FromInt32(2)), nil)

	st := waitStatus(t, cs, "2 healthy, none allowed", func(s policyv1.PodDisruptionBudgetStatus) bool { return s.CurrentHealthy == 2 })
	if st.DisruptionsAllowed != 0 || st.DesiredHealthy != 2 || st.ExpectedPods != 3 || st.Conditions[0].Reason != policyv1.InsufficientPodsReason {
		t.Fatalf("status = %+v", st)
	}
	if err := evict(cs, "a"); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("eviction with no disruption allowed: err = %v, want 429", err)
	}

	setReady(t, cs, "c", true)
	st = waitStatus(t, cs, "one disruption allowed", func(s policyv1.PodDisruptionBudgetStatus) bool { return s.DisruptionsAllowed == 1 })
	if st.CurrentHealthy != 3 || st.Conditions[0].Reason != policyv1.SufficientPodsReason || st.Conditions[0].Status != metav1.ConditionTrue {
		t.Fatalf("status = %+v", st)
	}
	if err := evict(cs, "a"); err != nil {
		t.Fatalf("eviction allowed by budget: %v", err)
	}
	waitStatus(t, cs, "back to none allowed", func(s policyv1.PodDisruptionBudgetStatus) bool {
		return s.DisruptionsAllowed == 0 && s.CurrentHealthy == 2
	})
	if err := evict(cs, "b"); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("second eviction: err = %v, want 429", err)
	}
	setReady(t, cs, "c", false)
	waitStatus(t, cs, "readiness loss tracked", func(s policyv1.PodDisruptionBudgetStatus) bool { return s.CurrentHealthy == 1 })
}

func TestBudgetFromReplicaSetScale(t *testing.T) {
	cs := startIntegration(t)
	ctx := context.Background()
	labels := map[string]string{"app": "web"}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](4), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
	rs, err := cs.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}
	for _, n := range []string{"a", "b", "c", "d"} {
		createPod(t, cs, n, ref)
		setReady(t, cs, n, true)
	}
	createPDB(t, cs, nil, ptrIOS(intstr.FromString("25%")))
	st := waitStatus(t, cs, "scale-based budget", func(s policyv1.PodDisruptionBudgetStatus) bool { return s.CurrentHealthy == 4 })
	if st.ExpectedPods != 4 || st.DesiredHealthy != 3 || st.DisruptionsAllowed != 1 {
		t.Fatalf("status = %+v", st)
	}
	// Scaling the ReplicaSet up raises the expectation on the next sync.
	rs.Spec.Replicas = ptr.To[int32](6)
	if _, err := cs.AppsV1().ReplicaSets("default").Update(ctx, rs, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	setReady(t, cs, "d", false)
	st = waitStatus(t, cs, "scale change", func(s policyv1.PodDisruptionBudgetStatus) bool { return s.ExpectedPods == 6 && s.CurrentHealthy == 3 })
	if st.DesiredHealthy != 4 || st.DisruptionsAllowed != 0 {
		t.Fatalf("status = %+v", st)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
