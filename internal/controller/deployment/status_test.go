package deployment

import (
	"math"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestComputeHash(t *testing.T) {
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
	h := ComputeHash(&tmpl, nil)
	if h != ComputeHash(tmpl.DeepCopy(), nil) {
		t.Fatal("hash not deterministic")
	}
	if strings.ContainsAny(h, "aeiou013") || len(h) == 0 || len(h) > 10 {
		t.Fatalf("hash %q is not a SafeEncodeString of a uint32", h)
	}
	one := int32(1)
	if ComputeHash(&tmpl, &one) == h {
		t.Fatal("collision count must change the hash")
	}
	other := tmpl.DeepCopy()
	other.Spec.Containers[0].Image = "nginx:2"
	if ComputeHash(other, nil) == h {
		t.Fatal("template change must change the hash")
	}
	labeled := tmpl.DeepCopy()
	labeled.Labels[HashLabel] = h
	if !EqualIgnoreHash(&tmpl, labeled) || EqualIgnoreHash(&tmpl, other) {
		t.Fatal("EqualIgnoreHash")
	}
}

func TestSetNewReplicaSetAnnotations(t *testing.T) {
	n := int32(4)
	surge := intstr.FromString("50%")
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
			"team": "a", "kubectl.kubernetes.io/last-applied-configuration": "{}", RevisionAnnotation: "7"}},
		Spec: appsv1.DeploymentSpec{Replicas: &n, Strategy: appsv1.DeploymentStrategy{
			Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge}}},
	}
	fresh := &appsv1.ReplicaSet{}
	if !SetNewReplicaSetAnnotations(d, fresh, "3", false) {
		t.Fatal("no change reported")
	}
	want := map[string]string{"team": "a", RevisionAnnotation: "3", DesiredReplicasAnnotation: "4", MaxReplicasAnnotation: "6"}
	if len(fresh.Annotations) != len(want) {
		t.Fatalf("annotations %v, want %v", fresh.Annotations, want)
	}
	for k, v := range want {
		if fresh.Annotations[k] != v {
			t.Fatalf("annotations %v, want %v", fresh.Annotations, want)
		}
	}
	// Rolling back to revision 1 (now the newest template) moves 1 into history.
	back := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"team": "a", RevisionAnnotation: "1", RevisionHistoryAnnotation: "0"}}}
	SetNewReplicaSetAnnotations(d, back, "4", true)
	if back.Annotations[RevisionAnnotation] != "4" || back.Annotations[RevisionHistoryAnnotation] != "0,1" {
		t.Fatalf("rollback annotations %v", back.Annotations)
	}
	if _, ok := back.Annotations[DesiredReplicasAnnotation]; ok {
		t.Fatal("existing replica sets get replica annotations only when scaled")
	}
	if SetNewReplicaSetAnnotations(d, back, "4", true) {
		t.Fatal("second call must be a no-op")
	}
}

func TestHistoryToDelete(t *testing.T) {
	limit := func(n int32) *appsv1.Deployment {
		return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{RevisionHistoryLimit: &n}}
	}
	old := func() []*appsv1.ReplicaSet {
		busy := rs("r2-busy", 1, 1, 3*time.Hour, RevisionAnnotation, "2")
		unobserved := rs("r3-unobserved", 0, 0, 2*time.Hour, RevisionAnnotation, "3")
		unobserved.Generation = 2
		return []*appsv1.ReplicaSet{
			rs("r4", 0, 0, time.Hour, RevisionAnnotation, "4"), busy, unobserved,
			rs("r1", 0, 0, 4*time.Hour, RevisionAnnotation, "1"),
		}
	}
	tests := []struct {
		d    *appsv1.Deployment
		want string
	}{
		{limit(10), ""},
		{limit(3), "r1"},
		{limit(1), "r1"},
		{limit(0), "r1 r4"},
		{limit(math.MaxInt32), ""},
		{&appsv1.Deployment{}, ""},
	}
	for _, tc := range tests {
		var got []string
		for _, r := range HistoryToDelete(tc.d, old()) {
			got = append(got, r.Name)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("limit %v: got %v, want %q", tc.d.Spec.RevisionHistoryLimit, got, tc.want)
		}
	}
}

func withDeadline(d *appsv1.Deployment, seconds int32) *appsv1.Deployment {
	d.Spec.ProgressDeadlineSeconds = &seconds
	return d
}

func TestRolloutStatusConditions(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	progressingSince := func(reason string, at time.Time) []appsv1.DeploymentCondition {
		return []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: reason,
			LastUpdateTime: metav1.NewTime(at), LastTransitionTime: metav1.NewTime(at)}}
	}
	tests := []struct {
		name          string
		old, newRS    *appsv1.ReplicaSet
		prior         appsv1.DeploymentStatus
		now           time.Time
		wantProgress  string
		wantAvailable string
		keepTrans     bool
	}{
		{"complete", rs("old", 0, 0, time.Hour), rs("new", 3, 3, 0),
			appsv1.DeploymentStatus{Conditions: progressingSince(ReasonRSUpdated, t0)}, t0.Add(time.Minute),
			ReasonNewRSAvailable, ReasonMinimumAvailable, true},
		{"progress", rs("old", 2, 2, time.Hour), rs("new", 2, 1, 0),
			appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, Conditions: progressingSince(ReasonNewRSCreated, t0)}, t0.Add(time.Minute),
			ReasonRSUpdated, ReasonMinimumAvailable, true},
		{"deadline passed", rs("old", 3, 3, time.Hour), rs("new", 1, 0, 0),
			appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3, Conditions: progressingSince(ReasonRSUpdated, t0)}, t0.Add(11 * time.Minute),
			ReasonTimedOut, ReasonMinimumAvailable, false},
		{"deadline not yet passed", rs("old", 3, 3, time.Hour), rs("new", 1, 0, 0),
			appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3, Conditions: progressingSince(ReasonRSUpdated, t0)}, t0.Add(9 * time.Minute),
			ReasonRSUpdated, ReasonMinimumAvailable, true},
		{"below minimum", rs("old", 0, 0, time.Hour), rs("new", 3, 1, 0),
			appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 1, Conditions: progressingSince(ReasonRSUpdated, t0)}, t0.Add(time.Minute),
			ReasonRSUpdated, ReasonMinimumUnavailable, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := withDeadline(rollingDeployment(3, one, zero), 600)
			d.Status = tc.prior
			st := RolloutStatus(d, []*appsv1.ReplicaSet{tc.old, tc.newRS}, tc.newRS, tc.now)
			p, a := Condition(&st, appsv1.DeploymentProgressing), Condition(&st, appsv1.DeploymentAvailable)
			if p == nil || p.Reason != tc.wantProgress || a == nil || a.Reason != tc.wantAvailable {
				t.Fatalf("conditions %+v", st.Conditions)
			}
			if p.Reason == ReasonNewRSAvailable && p.Message != `ReplicaSet "new" has successfully progressed.` {
				t.Fatalf("message %q", p.Message)
			}
			if got := p.LastTransitionTime.Time.Equal(t0); got != tc.keepTrans {
				t.Fatalf("transition kept=%v, want %v (%v)", got, tc.keepTrans, p.LastTransitionTime)
			}
			if st.ObservedGeneration != 1 || st.UpdatedReplicas != tc.newRS.Status.Replicas {
				t.Fatalf("status %+v", st)
			}
		})
	}
}

func TestStuckRequeueAfter(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	d := withDeadline(rollingDeployment(3, one, zero), 60)
	d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue,
		Reason: ReasonRSUpdated, LastUpdateTime: metav1.NewTime(t0)}}
	st := appsv1.DeploymentStatus{}
	if got := StuckRequeueAfter(d, &st, t0.Add(30*time.Second)); got != 31*time.Second {
		t.Fatalf("got %v", got)
	}
	if got := StuckRequeueAfter(d, &st, t0.Add(time.Hour)); got != 0 {
		t.Fatalf("past deadline: got %v", got)
	}
	d.Spec.ProgressDeadlineSeconds = nil
	if got := StuckRequeueAfter(d, &st, t0); got != -1 {
		t.Fatalf("no deadline: got %v", got)
	}
}
