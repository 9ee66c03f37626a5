package job

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Suspension reasons and messages as upstream.
const (
	reasonSuspended = "JobSuspended"
	msgSuspended    = "Job suspended"
	reasonResumed   = "JobResumed"
	msgResumed      = "Job resumed"
)

func findCondition(st *batchv1.JobStatus, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func conditionTrue(st *batchv1.JobStatus, t batchv1.JobConditionType) bool {
	c := findCondition(st, t)
	return c != nil && c.Status == corev1.ConditionTrue
}

// isFinished reports a Complete or Failed condition.
func isFinished(st *batchv1.JobStatus) bool {
	return conditionTrue(st, batchv1.JobComplete) || conditionTrue(st, batchv1.JobFailed)
}

// setCondition sets condition t, keeping lastTransitionTime when the
// status does not change; it reports whether anything changed.
func setCondition(st *batchv1.JobStatus, t batchv1.JobConditionType, s corev1.ConditionStatus, reason, msg string, now metav1.Time) bool {
	c := findCondition(st, t)
	if c == nil {
		st.Conditions = append(st.Conditions, batchv1.JobCondition{Type: t, Status: s, Reason: reason, Message: msg,
			LastProbeTime: now, LastTransitionTime: now})
		return true
	}
	if c.Status == s && c.Reason == reason && c.Message == msg {
		return false
	}
	if c.Status != s {
		c.LastTransitionTime = now
	}
	c.Status, c.Reason, c.Message, c.LastProbeTime = s, reason, msg, now
	return true
}

// interim reads an interim terminal condition already on the status.
func interim(st *batchv1.JobStatus) *verdict {
	for _, t := range []batchv1.JobConditionType{batchv1.JobFailureTarget, batchv1.JobSuccessCriteriaMet} {
		if c := findCondition(st, t); c != nil && c.Status == corev1.ConditionTrue {
			return &verdict{condition: t, reason: c.Reason, message: c.Message}
		}
	}
	return nil
}

// finalCondition maps an interim condition to the terminal one.
func (v *verdict) finalCondition() batchv1.JobConditionType {
	if v.condition == batchv1.JobSuccessCriteriaMet {
		return batchv1.JobComplete
	}
	return batchv1.JobFailed
}

// uncounted is status.uncountedTerminatedPods as sets.
type uncounted struct {
	succeeded, failed sets.Set[types.UID]
}

func readUncounted(st *batchv1.JobStatus) uncounted {
	u := uncounted{succeeded: sets.New[types.UID](), failed: sets.New[types.UID]()}
	if p := st.UncountedTerminatedPods; p != nil {
		u.succeeded.Insert(p.Succeeded...)
		u.failed.Insert(p.Failed...)
	}
	return u
}

// write stores u into st in sorted order; nil when empty, as upstream.
func (u uncounted) write(st *batchv1.JobStatus) {
	if u.succeeded.Len() == 0 && u.failed.Len() == 0 {
		st.UncountedTerminatedPods = nil
		return
	}
	st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{
		Succeeded: sets.List(u.succeeded), Failed: sets.List(u.failed)}
}

// flush moves the UIDs in done out of the uncounted sets into the
// counters of st.
func (u uncounted) flush(st *batchv1.JobStatus, done []types.UID) {
	for _, uid := range done {
		if u.succeeded.Has(uid) {
			u.succeeded.Delete(uid)
			st.Succeeded++
		} else if u.failed.Has(uid) {
			u.failed.Delete(uid)
			st.Failed++
		}
	}
	u.write(st)
}
