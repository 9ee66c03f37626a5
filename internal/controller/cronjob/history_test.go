package cronjob

import (
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func child(name string, cond batchv1.JobConditionType, startMin int) *batchv1.Job {
	st := metav1.NewTime(time.Date(2026, 1, 1, 0, startMin, 0, 0, time.UTC))
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name)}, Status: batchv1.JobStatus{StartTime: &st}}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
	}
	return j
}

func names(jobs []*batchv1.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.Name)
	}
	return out
}

func TestHistoryToDelete(t *testing.T) {
	one, zero := int32(1), int32(0)
	jobs := []*batchv1.Job{
		child("ok-3", batchv1.JobComplete, 3), child("ok-1", batchv1.JobComplete, 1), child("ok-2", batchv1.JobComplete, 2),
		child("bad-1", batchv1.JobFailed, 1), child("bad-2", batchv1.JobFailed, 2), child("run", "", 0),
	}
	tests := []struct {
		name          string
		success, fail *int32
		want          []string
	}{
		{"no limits keep all", nil, nil, nil},
		{"keep newest success and failure", &one, &one, []string{"ok-1", "ok-2", "bad-1"}},
		{"zero keeps none, running untouched", &zero, &zero, []string{"ok-1", "ok-2", "ok-3", "bad-1", "bad-2"}},
	}
	for _, tt := range tests {
		if got := names(historyToDelete(jobs, tt.success, tt.fail)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: historyToDelete = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReconcileActive(t *testing.T) {
	ref := func(name string) corev1.ObjectReference {
		return corev1.ObjectReference{Name: name, UID: types.UID(name)}
	}
	cj := &batchv1.CronJob{Status: batchv1.CronJobStatus{Active: []corev1.ObjectReference{ref("running"), ref("done"), ref("gone")}}}
	v := reconcileActive(cj, []*batchv1.Job{child("running", "", 1), child("done", batchv1.JobComplete, 2), child("stray", "", 3)})
	var active []string
	for _, r := range v.active {
		active = append(active, r.Name)
	}
	slices.Sort(active)
	if !slices.Equal(active, []string{"running", "stray"}) || !slices.Equal(names(v.completed), []string{"done"}) ||
		!slices.Equal(names(v.unexpected), []string{"stray"}) || len(v.missing) != 1 || v.missing[0].Name != "gone" {
		t.Errorf("reconcileActive = active %v completed %v unexpected %v missing %v", active, names(v.completed), names(v.unexpected), v.missing)
	}
}
