package disruption

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func budget(minAvail, maxUnavail *intstr.IntOrString) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "b", Generation: 3},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: minAvail, MaxUnavailable: maxUnavail}}
}

func ptrIOS(v intstr.IntOrString) *intstr.IntOrString { return &v }

func TestDesired(t *testing.T) {
	tests := []struct {
		name           string
		pdb            *policyv1.PodDisruptionBudget
		pods           int
		scale          int32
		needsScale     bool
		expected, want int32
	}{
		{"minAvailable int counts pods", budget(ptrIOS(intstr.FromInt32(2)), nil), 3, 10, false, 3, 2},
		{"minAvailable percent rounds up", budget(ptrIOS(intstr.FromString("50%")), nil), 3, 5, true, 5, 3},
		{"maxUnavailable int", budget(nil, ptrIOS(intstr.FromInt32(1))), 3, 4, true, 4, 3},
		{"maxUnavailable percent rounds up", budget(nil, ptrIOS(intstr.FromString("30%"))), 3, 5, true, 5, 3},
		{"maxUnavailable above scale", budget(nil, ptrIOS(intstr.FromInt32(7))), 3, 5, true, 5, 0},
		{"neither", budget(nil, nil), 4, 0, false, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsScale(tt.pdb); got != tt.needsScale {
				t.Errorf("NeedsScale = %v", got)
			}
			exp, des, err := Desired(tt.pdb, tt.pods, tt.scale)
			if err != nil || exp != tt.expected || des != tt.want {
				t.Errorf("Desired = %d, %d, %v; want %d, %d", exp, des, err, tt.expected, tt.want)
			}
		})
	}
	if _, _, err := Desired(budget(ptrIOS(intstr.FromString("lots")), nil), 1, 1); err == nil {
		t.Error("bad percentage accepted")
	}
}

func pod(name string, ready bool, opts ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}}}
	s := corev1.ConditionFalse
	if ready {
		s = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: s}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func deleting(p *corev1.Pod) { ts := metav1.NewTime(t0); p.DeletionTimestamp = &ts }

func TestDisruptedAndHealthy(t *testing.T) {
	pods := []*corev1.Pod{pod("a", true), pod("b", true), pod("c", false), pod("d", true, deleting), pod("e", true)}
	prev := map[string]metav1.Time{
		"a":       metav1.NewTime(t0.Add(-time.Minute)),      // kept, expires t0+1m
		"b":       metav1.NewTime(t0.Add(-3 * time.Minute)),  // expired
		"d":       metav1.NewTime(t0),                        // being deleted: dropped
		"missing": metav1.NewTime(t0),                        // gone: dropped
		"e":       metav1.NewTime(t0.Add(-30 * time.Second)), // kept, expires t0+90s
	}
	kept, recheck := Disrupted(prev, pods, t0)
	if _, a := kept["a"]; !a || len(kept) != 2 || kept["e"].Time.IsZero() {
		t.Errorf("kept = %v", kept)
	}
	if !recheck.Equal(t0.Add(time.Minute)) {
		t.Errorf("recheck = %v", recheck)
	}
	if got := CountHealthy(pods, kept); got != 1 { // only b: a,e disrupted, c unready, d deleting
		t.Errorf("CountHealthy = %d, want 1", got)
	}
	if _, r := Disrupted(nil, pods, t0); !r.IsZero() {
		t.Error("recheck without entries")
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name                       string
		expected, desired, healthy int32
		allowed                    int32
		condStatus                 metav1.ConditionStatus
		reason                     string
	}{
		{"surplus", 3, 2, 3, 1, metav1.ConditionTrue, policyv1.SufficientPodsReason},
		{"exact", 3, 2, 2, 0, metav1.ConditionFalse, policyv1.InsufficientPodsReason},
		{"deficit", 3, 2, 1, 0, metav1.ConditionFalse, policyv1.InsufficientPodsReason},
		{"no expected pods", 0, 0, 2, 0, metav1.ConditionFalse, policyv1.InsufficientPodsReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdb := budget(ptrIOS(intstr.FromInt32(tt.desired)), nil)
			st := Status(pdb, tt.expected, tt.desired, tt.healthy, nil, t0)
			if st.DisruptionsAllowed != tt.allowed || st.ObservedGeneration != 3 || st.CurrentHealthy != tt.healthy ||
				st.DesiredHealthy != tt.desired || st.ExpectedPods != tt.expected {
				t.Errorf("status = %+v", st)
			}
			if len(st.Conditions) != 1 || st.Conditions[0].Type != policyv1.DisruptionAllowedCondition ||
				st.Conditions[0].Status != tt.condStatus || st.Conditions[0].Reason != tt.reason || !st.Conditions[0].LastTransitionTime.Time.Equal(t0) {
				t.Errorf("conditions = %+v", st.Conditions)
			}
			pdb.Status = st
			again := Status(pdb, tt.expected, tt.desired, tt.healthy, nil, t0.Add(time.Hour))
			if !again.Conditions[0].LastTransitionTime.Time.Equal(t0) {
				t.Error("unchanged condition got a new transition time")
			}
		})
	}
	pdb := budget(ptrIOS(intstr.FromInt32(1)), nil)
	pdb.Status = Status(pdb, 3, 1, 3, nil, t0)
	failed := FailedStatus(pdb, errors.New("found no controllers for pod \"x\""), t0.Add(time.Minute))
	c := failed.Conditions[0]
	if failed.DisruptionsAllowed != 0 || c.Reason != policyv1.SyncFailedReason || c.Status != metav1.ConditionFalse || c.Message != "found no controllers for pod \"x\"" {
		t.Errorf("FailedStatus = %+v", failed)
	}
}

func TestStaleAfter(t *testing.T) {
	c := &corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}
	if got := StaleAfter(c, t0.Add(30*time.Second)); got != 90*time.Second {
		t.Errorf("StaleAfter = %v", got)
	}
	if got := StaleAfter(c, t0.Add(2*time.Minute)); got > 0 {
		t.Errorf("StaleAfter at 2m = %v, want <= 0", got)
	}
}
