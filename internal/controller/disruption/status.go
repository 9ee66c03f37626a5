package disruption

import (
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DeletionTimeout is how long an entry of status.disruptedPods (an
// eviction the API server admitted) counts before the pod must have been
// deleted, as upstream.
const DeletionTimeout = 2 * time.Minute

// NeedsScale reports whether the budget is relative to the controllers'
// scale: maxUnavailable is set or minAvailable is a percentage.
func NeedsScale(pdb *policyv1.PodDisruptionBudget) bool {
	if pdb.Spec.MaxUnavailable != nil {
		return true
	}
	return pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.String
}

// Desired returns expectedPods and desiredHealthy. pods is the number of
// selected pods; scale is the summed scale of their controllers, used only
// when NeedsScale. Percentages round up, as upstream.
func Desired(pdb *policyv1.PodDisruptionBudget, pods int, scale int32) (expected, desired int32, err error) {
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		mu, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(scale), true)
		if err != nil {
			return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
		}
		return scale, max(scale-int32(mu), 0), nil
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		return int32(pods), pdb.Spec.MinAvailable.IntVal, nil
	case pdb.Spec.MinAvailable != nil:
		ma, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(scale), true)
		if err != nil {
			return 0, 0, fmt.Errorf("minAvailable: %w", err)
		}
		return scale, int32(ma), nil
	default:
		return int32(pods), 0, nil
	}
}

// Disrupted returns the entries of status.disruptedPods still in force: the
// pod exists, is not being deleted, and its entry has not expired. recheck
// is the earliest time a kept entry expires (zero when none is kept).
func Disrupted(prev map[string]metav1.Time, pods []*corev1.Pod, now time.Time) (kept map[string]metav1.Time, recheck time.Time) {
	byName := make(map[string]*corev1.Pod, len(pods))
	for _, p := range pods {
		byName[p.Name] = p
	}
	kept = map[string]metav1.Time{}
	for name, at := range prev {
		p := byName[name]
		if p == nil || p.DeletionTimestamp != nil {
			continue
		}
		expires := at.Add(DeletionTimeout)
		if !expires.After(now) {
			continue
		}
		kept[name] = at
		if recheck.IsZero() || expires.Before(recheck) {
			recheck = expires
		}
	}
	return kept, recheck
}

// CountHealthy counts the pods that are Ready, not being deleted and not
// in disrupted.
func CountHealthy(pods []*corev1.Pod, disrupted map[string]metav1.Time) int32 {
	var n int32
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if _, ok := disrupted[p.Name]; ok {
			continue
		}
		if podReady(p) {
			n++
		}
	}
	return n
}

func podReady(p *corev1.Pod) bool {
	return slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
	})
}

// Status computes the budget's new status from the counts. The
// DisruptionAllowed condition keeps its transition time unless its status
// changes, then it takes now.
func Status(pdb *policyv1.PodDisruptionBudget, expected, desired, healthy int32, disrupted map[string]metav1.Time, now time.Time) policyv1.PodDisruptionBudgetStatus {
	allowed := healthy - desired
	if expected <= 0 || allowed <= 0 {
		allowed = 0
	}
	st := policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: pdb.Generation,
		DisruptedPods:      disrupted,
		DisruptionsAllowed: allowed,
		CurrentHealthy:     healthy,
		DesiredHealthy:     desired,
		ExpectedPods:       expected,
		Conditions:         slices.Clone(pdb.Status.Conditions),
	}
	if len(st.DisruptedPods) == 0 {
		st.DisruptedPods = nil
	}
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse,
		Reason: policyv1.InsufficientPodsReason, ObservedGeneration: pdb.Generation, LastTransitionTime: metav1.NewTime(now)}
	if allowed > 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, policyv1.SufficientPodsReason
	}
	apimeta.SetStatusCondition(&st.Conditions, cond)
	return st
}

// FailedStatus is the fail-safe status after a failed sync: no disruption
// allowed, condition reason SyncFailed with the error; the rest of the
// status (observedGeneration included) is kept, as upstream.
func FailedStatus(pdb *policyv1.PodDisruptionBudget, err error, now time.Time) policyv1.PodDisruptionBudgetStatus {
	st := *pdb.Status.DeepCopy()
	st.DisruptionsAllowed = 0
	apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse,
		Reason: policyv1.SyncFailedReason, Message: err.Error(), ObservedGeneration: st.ObservedGeneration,
		LastTransitionTime: metav1.NewTime(now),
	})
	return st
}
