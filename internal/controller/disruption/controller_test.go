package disruption

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

func owned(kind, apiVersion, name string, uid types.UID) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: ptr.To(true)}}
	}
}

func labeled(app string) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Labels = map[string]string{"app": app} }
}

func meta(name string, uid types.UID) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", UID: uid}
}

func newFakeController(t *testing.T, clk *testingclock.FakeClock, objs ...runtime.Object) (*Controller, *fake.Clientset) {
	t.Helper()
	cs := fake.NewClientset(objs...)
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Client: cs, Clock: clk, Recorder: record.NewFakeRecorder(100),
		Pods: f.Core().V1().Pods(), PDBs: f.Policy().V1().PodDisruptionBudgets(),
		ReplicaSets: f.Apps().V1().ReplicaSets(), Deployments: f.Apps().V1().Deployments(),
		StatefulSets: f.Apps().V1().StatefulSets(), ReplicationControllers: f.Core().V1().ReplicationControllers()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return c, cs
}

func TestExpectedScaleFromControllers(t *testing.T) {
	rsOf := func(name string, uid types.UID, replicas int32, dep string) *appsv1.ReplicaSet {
		rs := &appsv1.ReplicaSet{ObjectMeta: meta(name, uid), Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas)}}
		if dep != "" {
			rs.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep, UID: "dep-uid", Controller: ptr.To(true)}}
		}
		return rs
	}
	objs := []runtime.Object{
		&appsv1.Deployment{ObjectMeta: meta("web", "dep-uid"), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](5)}},
		rsOf("web-1", "rs1", 4, "web"), rsOf("web-2", "rs2", 1, "web"), rsOf("solo", "rs3", 3, ""),
		&appsv1.StatefulSet{ObjectMeta: meta("db", "ss1"), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3)}},
		&corev1.ReplicationController{ObjectMeta: meta("old", "rc1"), Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](2)}},
		pod("w1", true, labeled("web"), owned("ReplicaSet", "apps/v1", "web-1", "rs1")),
		pod("w2", true, labeled("web"), owned("ReplicaSet", "apps/v1", "web-1", "rs1")),
		pod("w3", true, labeled("web"), owned("ReplicaSet", "apps/v1", "web-2", "rs2")),
		pod("s1", true, labeled("solo"), owned("ReplicaSet", "apps/v1", "solo", "rs3")),
		pod("d1", true, labeled("db"), owned("StatefulSet", "apps/v1", "db", "ss1")),
		pod("o1", true, labeled("old"), owned("ReplicationController", "v1", "old", "rc1")),
		pod("bare", true, labeled("bare")),
		pod("j1", true, labeled("job"), owned("Job", "batch/v1", "j", "job1")),
		pod("stale", true, labeled("staleref"), owned("ReplicaSet", "apps/v1", "web-1", "other-uid")),
	}
	tests := []struct {
		app       string
		expected  int32
		desired   int32
		unmanaged int
		err       bool
	}{
		{"web", 5, 4, 0, false}, // deployment scale, counted once across its ReplicaSets
		{"solo", 3, 2, 0, false},
		{"db", 3, 2, 0, false},
		{"old", 2, 1, 0, false},
		{"bare", 0, 0, 1, false},
		{"job", 0, 0, 0, true},
		{"staleref", 0, 0, 0, true}, // UID mismatch: not our controller
	}
	c, _ := newFakeController(t, testingclock.NewFakeClock(t0), objs...)
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			pdb := budget(nil, ptrIOS(intstr.FromInt32(1)))
			pdb.Namespace = "default"
			pdb.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": tt.app}}
			st, _, err := c.compute(pdb, t0)
			if (err != nil) != tt.err {
				t.Fatalf("compute error = %v, want error %v", err, tt.err)
			}
			if err == nil && (st.ExpectedPods != tt.expected || st.DesiredHealthy != tt.desired) {
				t.Errorf("expected/desired = %d/%d, want %d/%d", st.ExpectedPods, st.DesiredHealthy, tt.expected, tt.desired)
			}
		})
	}
}

func TestSyncWritesFailSafeStatus(t *testing.T) {
	pdb := budget(nil, ptrIOS(intstr.FromInt32(1)))
	pdb.Namespace = "default"
	pdb.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "job"}}
	pdb.Status = policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 2, ObservedGeneration: 3}
	c, cs := newFakeController(t, testingclock.NewFakeClock(t0), pdb, pod("j1", true, labeled("job"), owned("Job", "batch/v1", "j", "job1")))
	if err := c.sync(context.Background(), "default/b"); err == nil {
		t.Fatal("sync of a budget over unknown controllers succeeded")
	}
	got, err := cs.PolicyV1().PodDisruptionBudgets("default").Get(context.Background(), "b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.DisruptionsAllowed != 0 || len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Reason != policyv1.SyncFailedReason {
		t.Errorf("status = %+v", got.Status)
	}
}

func TestStaleDisruptionTargetReset(t *testing.T) {
	withTarget := func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
			Reason: "PreemptionByScheduler", LastTransitionTime: metav1.NewTime(t0)})
	}
	tests := []struct {
		name      string
		pod       *corev1.Pod
		at        time.Duration
		wantReset bool
	}{
		{"fresh condition kept", pod("p", true, withTarget), time.Minute, false},
		{"stale condition reset", pod("p", true, withTarget), 2 * time.Minute, true},
		{"deleting pod kept", pod("p", true, withTarget, deleting), 5 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testingclock.NewFakeClock(t0.Add(tt.at))
			c, cs := newFakeController(t, clk, tt.pod)
			if err := c.syncStale(context.Background(), "default/p"); err != nil {
				t.Fatal(err)
			}
			got, _ := cs.CoreV1().Pods("default").Get(context.Background(), "p", metav1.GetOptions{})
			reset := disruptionTarget(got) == nil
			if reset != tt.wantReset {
				t.Errorf("reset = %v, want %v (%+v)", reset, tt.wantReset, got.Status.Conditions)
			}
		})
	}
}
