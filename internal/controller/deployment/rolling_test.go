package deployment

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func rollingDeployment(n int32, surge, unavailable intstr.IntOrString) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "d", Generation: 1},
		Spec: appsv1.DeploymentSpec{Replicas: &n, Strategy: appsv1.DeploymentStrategy{
			Type:          appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
		}},
	}
}

// rs is a ReplicaSet of spec size n with avail available replicas, created
// age ago; annotations as key=value pairs.
func rs(name string, n, avail int32, age time.Duration, ann ...string) *appsv1.ReplicaSet {
	r := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-age)), Annotations: map[string]string{}},
		Spec:       appsv1.ReplicaSetSpec{Replicas: &n},
		Status:     appsv1.ReplicaSetStatus{Replicas: n, AvailableReplicas: avail, ReadyReplicas: avail},
	}
	for i := 0; i+1 < len(ann); i += 2 {
		r.Annotations[ann[i]] = ann[i+1]
	}
	return r
}

// recorder is a ScaleFunc that applies and records each step.
type recorder struct{ steps []string }

func (r *recorder) scale(rs *appsv1.ReplicaSet, size int32) (bool, error) {
	if replicas(rs) == size {
		return false, nil
	}
	r.steps = append(r.steps, fmt.Sprintf("%s:%d->%d", rs.Name, replicas(rs), size))
	rs.Spec.Replicas = &size
	return true, nil
}

func TestResolveFenceposts(t *testing.T) {
	tests := []struct {
		surge, unavailable intstr.IntOrString
		desired            int32
		wantSurge, wantUn  int32
	}{
		{intstr.FromString("25%"), intstr.FromString("25%"), 10, 3, 2},
		{intstr.FromString("25%"), intstr.FromString("25%"), 4, 1, 1},
		{intstr.FromString("25%"), intstr.FromString("25%"), 1, 1, 0},
		{intstr.FromInt32(0), intstr.FromString("10%"), 5, 0, 1},
		{intstr.FromInt32(2), intstr.FromInt32(0), 3, 2, 0},
		{intstr.FromString("50%"), intstr.FromString("50%"), 3, 2, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s of %d", tc.surge.String(), tc.unavailable.String(), tc.desired), func(t *testing.T) {
			s, u, err := ResolveFenceposts(&tc.surge, &tc.unavailable, tc.desired)
			if err != nil || s != tc.wantSurge || u != tc.wantUn {
				t.Fatalf("got %d, %d, %v; want %d, %d", s, u, err, tc.wantSurge, tc.wantUn)
			}
		})
	}
}

func TestRollingStep(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	pct := intstr.FromString("25%")
	tests := []struct {
		name            string
		d               *appsv1.Deployment
		old             []*appsv1.ReplicaSet
		newRS           *appsv1.ReplicaSet
		wantSteps       []string
		wantUp, wantOld bool
	}{
		{"surge first", rollingDeployment(3, one, zero),
			[]*appsv1.ReplicaSet{rs("old", 3, 3, time.Hour)}, rs("new", 0, 0, 0),
			[]string{"new:0->1"}, true, false},
		{"new not available: old waits", rollingDeployment(3, one, zero),
			[]*appsv1.ReplicaSet{rs("old", 3, 3, time.Hour)}, rs("new", 1, 0, 0),
			nil, false, false},
		{"new available: old scales down by one", rollingDeployment(3, one, zero),
			[]*appsv1.ReplicaSet{rs("old", 3, 3, time.Hour)}, rs("new", 1, 1, 0),
			[]string{"old:3->2"}, false, true},
		{"no surge: old goes first", rollingDeployment(3, zero, one),
			[]*appsv1.ReplicaSet{rs("old", 3, 3, time.Hour)}, rs("new", 0, 0, 0),
			[]string{"old:3->2"}, false, true},
		{"unhealthy old replicas are removed first", rollingDeployment(3, one, one),
			[]*appsv1.ReplicaSet{rs("old", 3, 1, time.Hour)}, rs("new", 1, 0, 0),
			[]string{"old:3->2"}, false, true},
		{"percent surge rounds up", rollingDeployment(10, pct, pct),
			[]*appsv1.ReplicaSet{rs("old", 10, 10, time.Hour)}, rs("new", 0, 0, 0),
			[]string{"new:0->3"}, true, false},
		{"percent unavailable rounds down", rollingDeployment(10, pct, pct),
			[]*appsv1.ReplicaSet{rs("old", 10, 10, time.Hour)}, rs("new", 3, 0, 0),
			[]string{"old:10->8"}, false, true},
		{"oldest old replica set first", rollingDeployment(4, zero, intstr.FromInt32(3)),
			[]*appsv1.ReplicaSet{rs("mid", 2, 2, time.Hour), rs("oldest", 2, 2, 2*time.Hour)}, rs("new", 0, 0, 0),
			[]string{"oldest:2->0", "mid:2->1"}, false, true},
		{"new over desired scales down", rollingDeployment(2, one, zero),
			[]*appsv1.ReplicaSet{}, rs("new", 3, 3, 0),
			[]string{"new:3->2"}, true, false},
		{"done", rollingDeployment(3, one, zero),
			[]*appsv1.ReplicaSet{rs("old", 0, 0, time.Hour)}, rs("new", 3, 3, 0),
			nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			all := append(append([]*appsv1.ReplicaSet(nil), tc.old...), tc.newRS)
			up, err := ReconcileNewReplicaSet(tc.d, all, tc.newRS, r.scale)
			if err != nil {
				t.Fatal(err)
			}
			down := false
			if !up {
				if down, err = ReconcileOldReplicaSets(tc.d, all, activeOf(tc.old), tc.newRS, r.scale); err != nil {
					t.Fatal(err)
				}
			}
			if up != tc.wantUp || down != tc.wantOld || fmt.Sprint(r.steps) != fmt.Sprint(tc.wantSteps) {
				t.Fatalf("up=%v down=%v steps=%v; want %v %v %v", up, down, r.steps, tc.wantUp, tc.wantOld, tc.wantSteps)
			}
		})
	}
}

func TestScaleProportionally(t *testing.T) {
	three := intstr.FromInt32(3)
	zero := intstr.FromInt32(0)
	ann := func(maxReplicas int) []string {
		return []string{MaxReplicasAnnotation, strconv.Itoa(maxReplicas), DesiredReplicasAnnotation, "10"}
	}
	tests := []struct {
		name      string
		d         *appsv1.Deployment
		old       []*appsv1.ReplicaSet
		newRS     *appsv1.ReplicaSet
		wantSteps []string
	}{
		{"scale up mid-rollout", rollingDeployment(20, three, zero),
			[]*appsv1.ReplicaSet{rs("old", 8, 8, time.Hour, ann(13)...)}, rs("new", 5, 0, 0, ann(13)...),
			[]string{"old:8->14", "new:5->9"}},
		{"scale down mid-rollout", rollingDeployment(5, three, zero),
			[]*appsv1.ReplicaSet{rs("old", 8, 8, time.Hour, ann(13)...)}, rs("new", 5, 0, 0, ann(13)...),
			[]string{"old:8->5", "new:5->3"}},
		{"equal sizes: the newer takes the extra", rollingDeployment(11, zero, intstr.FromInt32(1)),
			[]*appsv1.ReplicaSet{rs("a", 5, 5, 2*time.Hour, ann(10)...)}, rs("b", 5, 5, 0, ann(10)...),
			[]string{"b:5->6"}},
		{"single active takes all", rollingDeployment(7, three, zero),
			[]*appsv1.ReplicaSet{rs("old", 0, 0, time.Hour)}, rs("new", 3, 3, 0),
			[]string{"new:3->7"}},
		{"nothing active: newest gets all", rollingDeployment(2, three, zero),
			[]*appsv1.ReplicaSet{rs("older", 0, 0, 2*time.Hour), rs("newer", 0, 0, time.Hour)}, nil,
			[]string{"newer:0->2"}},
		{"saturated new: old to zero", rollingDeployment(10, three, zero),
			[]*appsv1.ReplicaSet{rs("old", 2, 2, time.Hour)}, rs("new", 10, 10, 0, DesiredReplicasAnnotation, "10"),
			[]string{"old:2->0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			if err := Scale(tc.d, tc.newRS, tc.old, r.scale); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(r.steps) != fmt.Sprint(tc.wantSteps) {
				t.Fatalf("steps %v, want %v", r.steps, tc.wantSteps)
			}
		})
	}
}

func TestNewRSNewReplicasRecreate(t *testing.T) {
	n := int32(4)
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &n, Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}}}
	if got := NewRSNewReplicas(d, nil, rs("new", 0, 0, 0)); got != 4 {
		t.Fatalf("got %d", got)
	}
	if MaxSurge(d) != 0 || MaxUnavailable(d) != 0 {
		t.Fatal("recreate has no fenceposts")
	}
}
