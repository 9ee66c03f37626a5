package replicaset

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type podOpt func(*corev1.Pod)

func mkPod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name),
		CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))}}
	p.Spec.NodeName = "n1"
	p.Status.Phase = corev1.PodRunning
	for _, o := range opts {
		o(p)
	}
	return p
}

func onNode(n string) podOpt          { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func created(ago time.Duration) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t0.Add(-ago)) }
}
func restarts(n int32) podOpt {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: n}} }
}
func cost(c string) podOpt {
	return func(p *corev1.Pod) { p.Annotations = map[string]string{DeletionCostAnnotation: c} }
}
func withLabels(l map[string]string) podOpt { return func(p *corev1.Pod) { p.Labels = l } }
func ready(since time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(-since))}}
	}
}

func TestRankForDeletion(t *testing.T) {
	tests := []struct {
		name        string
		first, then *corev1.Pod
		related     []*corev1.Pod
	}{
		{"unassigned before assigned", mkPod("a", onNode("")), mkPod("b"), nil},
		{"pending before running", mkPod("a", phase(corev1.PodPending)), mkPod("b"), nil},
		{"pending before unknown", mkPod("a", phase(corev1.PodPending)), mkPod("b", phase(corev1.PodUnknown)), nil},
		{"unknown before running", mkPod("a", phase(corev1.PodUnknown)), mkPod("b"), nil},
		{"not ready before ready", mkPod("a"), mkPod("b", ready(time.Minute)), nil},
		{"lower deletion cost first", mkPod("a", cost("-5"), ready(time.Minute)), mkPod("b", ready(time.Minute)), nil},
		{"crowded node first", mkPod("a", onNode("n2")), mkPod("b"), []*corev1.Pod{mkPod("x", onNode("n2")), mkPod("y", onNode("n2"))}},
		{"ready for less time first", mkPod("a", ready(time.Minute)), mkPod("b", ready(time.Hour)), nil},
		{"more restarts first", mkPod("a", restarts(5)), mkPod("b", restarts(1)), nil},
		{"newer first", mkPod("a", created(time.Minute)), mkPod("b", created(time.Hour)), nil},
		{"phase beats readiness", mkPod("a", phase(corev1.PodPending), ready(time.Minute)), mkPod("b"), nil},
		{"readiness beats restarts", mkPod("a", restarts(0)), mkPod("b", restarts(9), ready(time.Hour)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range [][]*corev1.Pod{{tc.first, tc.then}, {tc.then, tc.first}} {
				related := append(append([]*corev1.Pod(nil), order...), tc.related...)
				got := RankForDeletion(order, related, t0)
				if got[0] != tc.first {
					t.Fatalf("ranked %s first, want %s", got[0].Name, tc.first.Name)
				}
			}
		})
	}
}

func TestPodsToDelete(t *testing.T) {
	pods := []*corev1.Pod{mkPod("ready", ready(time.Hour)), mkPod("pending", phase(corev1.PodPending)), mkPod("running")}
	got := PodsToDelete(pods, pods, 2, t0)
	if len(got) != 2 || got[0].Name != "pending" || got[1].Name != "running" {
		t.Fatalf("got %v", names(got))
	}
	if pods[0].Name != "ready" {
		t.Fatal("input reordered")
	}
	if got := PodsToDelete(pods, pods, 5, t0); len(got) != 3 {
		t.Fatalf("n beyond len: %d", len(got))
	}
}

func names(pods []*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

func TestSlowStartBatch(t *testing.T) {
	tests := []struct {
		name          string
		n, failAt     int // failAt: the call number (1-based) that fails; 0 never
		wantSuccesses int
		wantCalls     int
	}{
		{"all succeed", 10, 0, 10, 10},
		{"first call fails stops", 10, 1, 0, 1},
		{"failure in batch of 2 stops before batch of 4", 10, 3, 2, 3},
		{"failure in batch of 4", 10, 5, 6, 7},
		{"zero", 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			var mu sync.Mutex
			ok, err := SlowStartBatch(tc.n, SlowStartInitialBatchSize, func() error {
				mu.Lock()
				defer mu.Unlock()
				if int(calls.Add(1)) == tc.failAt {
					return errors.New("quota")
				}
				return nil
			})
			if ok != tc.wantSuccesses || int(calls.Load()) != tc.wantCalls || (err != nil) != (tc.failAt > 0) {
				t.Fatalf("successes %d calls %d err %v; want %d, %d", ok, calls.Load(), err, tc.wantSuccesses, tc.wantCalls)
			}
		})
	}
}

func TestExpectations(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(t0)
	e := NewExpectations(clk)
	if !e.Satisfied("k") {
		t.Fatal("unknown key must be satisfied")
	}
	e.ExpectCreations("k", 2)
	e.CreationObserved("k")
	if e.Satisfied("k") {
		t.Fatal("satisfied with one creation outstanding")
	}
	e.CreationObserved("k")
	if !e.Satisfied("k") {
		t.Fatal("not satisfied after all creations")
	}
	e.ExpectDeletions("k", []string{"ns/a", "ns/b"})
	e.DeletionObserved("k", "ns/a")
	e.DeletionObserved("k", "ns/a")
	if e.Satisfied("k") {
		t.Fatal("a repeated observation must not count twice")
	}
	clk.SetTime(t0.Add(ExpectationsTTL + time.Second))
	if !e.Satisfied("k") {
		t.Fatal("expired expectations must not block")
	}
}

func TestDecideClaim(t *testing.T) {
	owner := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", UID: "rs-uid"}}
	deleting := owner.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	sel := labels.SelectorFromSet(map[string]string{"app": "a"})
	match, other := withLabels(map[string]string{"app": "a"}), withLabels(map[string]string{"app": "b"})
	ownedBy := func(uid types.UID) podOpt {
		return func(p *corev1.Pod) {
			tr := true
			p.OwnerReferences = []metav1.OwnerReference{{UID: uid, Controller: &tr, Name: "x", Kind: "ReplicaSet"}}
		}
	}
	gone := func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: t0} }
	tests := []struct {
		name  string
		owner *appsv1.ReplicaSet
		pod   *corev1.Pod
		want  ClaimAction
	}{
		{"orphan matching is adopted", owner, mkPod("p", match), ClaimAdopt},
		{"orphan not matching is ignored", owner, mkPod("p", other), ClaimIgnore},
		{"deleting orphan is not adopted", owner, mkPod("p", match, gone), ClaimIgnore},
		{"owner being deleted adopts nothing", deleting, mkPod("p", match), ClaimIgnore},
		{"owned matching is kept", owner, mkPod("p", match, ownedBy("rs-uid")), ClaimKeep},
		{"owned not matching is released", owner, mkPod("p", other, ownedBy("rs-uid")), ClaimRelease},
		{"deleting owner releases nothing", deleting, mkPod("p", other, ownedBy("rs-uid")), ClaimIgnore},
		{"other controller's pod is ignored", owner, mkPod("p", match, ownedBy("other")), ClaimIgnore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecideClaim(tc.owner, sel, tc.pod); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCalculateStatus(t *testing.T) {
	n := int32(3)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Generation: 4}, Spec: appsv1.ReplicaSetSpec{
		Replicas: &n, MinReadySeconds: 30,
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a", "tier": "x"}}},
	}}
	full := withLabels(map[string]string{"app": "a", "tier": "x"})
	pods := []*corev1.Pod{mkPod("a", full, ready(time.Minute)), mkPod("b", full, ready(10*time.Second)), mkPod("c", withLabels(map[string]string{"app": "a"}))}
	st := CalculateStatus(rs, pods, 1, nil, t0)
	if st.Replicas != 3 || st.FullyLabeledReplicas != 2 || st.ReadyReplicas != 2 || st.AvailableReplicas != 1 ||
		st.ObservedGeneration != 4 || *st.TerminatingReplicas != 1 || len(st.Conditions) != 0 {
		t.Fatalf("status %+v", st)
	}
	failed := rs.DeepCopy()
	failed.Status = CalculateStatus(rs, pods[:1], 0, errors.New("exceeded quota"), t0)
	c := failed.Status.Conditions
	if len(c) != 1 || c[0].Type != appsv1.ReplicaSetReplicaFailure || c[0].Reason != ReasonFailedCreate || c[0].Message != "exceeded quota" {
		t.Fatalf("conditions %+v", c)
	}
	if again := CalculateStatus(failed, pods[:1], 0, errors.New("other"), t0.Add(time.Hour)); again.Conditions[0].Message != "exceeded quota" {
		t.Fatal("an existing failure condition must not churn")
	}
	if cleared := CalculateStatus(failed, pods, 0, nil, t0); len(cleared.Conditions) != 0 {
		t.Fatalf("failure not cleared: %+v", cleared.Conditions)
	}
}
