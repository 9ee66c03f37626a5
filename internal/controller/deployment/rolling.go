package deployment

import (
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ScaleFunc sets rs.Spec.Replicas to size (in the API and in rs itself) and
// reports whether the size changed. The pure rollout functions call it for
// every scaling step they decide; tests pass a recording fake.
type ScaleFunc func(rs *appsv1.ReplicaSet, size int32) (bool, error)

func replicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func desired(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func isRolling(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType && d.Spec.Strategy.RollingUpdate != nil
}

// ResolveFenceposts resolves maxSurge (percent rounded up) and
// maxUnavailable (percent rounded down) against the desired replicas; if
// both come out zero, maxUnavailable is 1 so a rollout can progress.
func ResolveFenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (int32, int32, error) {
	zero := intstr.FromInt32(0)
	surge, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxSurge, zero), int(desired), true)
	if err != nil {
		return 0, 0, err
	}
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxUnavailable, zero), int(desired), false)
	if err != nil {
		return 0, 0, err
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return int32(surge), int32(unavailable), nil
}

// MaxSurge is the resolved maxSurge of a rolling Deployment, else 0.
func MaxSurge(d *appsv1.Deployment) int32 {
	if !isRolling(d) {
		return 0
	}
	s, _, _ := ResolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, desired(d))
	return s
}

// MaxUnavailable is the resolved maxUnavailable of a rolling Deployment,
// capped at its replicas; 0 otherwise.
func MaxUnavailable(d *appsv1.Deployment) int32 {
	if !isRolling(d) || desired(d) == 0 {
		return 0
	}
	_, u, _ := ResolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, desired(d))
	return min(u, desired(d))
}

func specSum(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += replicas(rs)
	}
	return n
}

func statusSum(rss []*appsv1.ReplicaSet, f func(*appsv1.ReplicaSetStatus) int32) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += f(&rs.Status)
		}
	}
	return n
}

func available(rss []*appsv1.ReplicaSet) int32 {
	return statusSum(rss, func(s *appsv1.ReplicaSetStatus) int32 { return s.AvailableReplicas })
}

// NewRSNewReplicas is the size the new ReplicaSet may have now: for
// RollingUpdate as much as maxSurge allows above the desired total (never
// more than desired); for Recreate the desired replicas.
func NewRSNewReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	if !isRolling(d) {
		return desired(d)
	}
	maxTotal := desired(d) + MaxSurge(d)
	current := specSum(all)
	if current >= maxTotal {
		return replicas(newRS)
	}
	up := min(maxTotal-current, desired(d)-replicas(newRS))
	return replicas(newRS) + up
}

// ReconcileNewReplicaSet scales the new ReplicaSet towards the desired size
// as far as the strategy allows and reports whether it scaled.
func ReconcileNewReplicaSet(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, scale ScaleFunc) (bool, error) {
	switch {
	case replicas(newRS) == desired(d):
		return false, nil
	case replicas(newRS) > desired(d):
		return scale(newRS, desired(d))
	}
	return scale(newRS, NewRSNewReplicas(d, all, newRS))
}

// ReconcileOldReplicaSets scales old ReplicaSets down as far as
// maxUnavailable allows: first their unhealthy (unavailable) replicas, then
// available ones, oldest ReplicaSet first. It reports whether it scaled.
func ReconcileOldReplicaSets(d *appsv1.Deployment, all, oldActive []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, scale ScaleFunc) (bool, error) {
	if specSum(oldActive) == 0 {
		return false, nil
	}
	minAvailable := desired(d) - MaxUnavailable(d)
	newUnavailable := replicas(newRS) - statusOr0(newRS)
	maxScaledDown := specSum(all) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	cleaned, err := cleanupUnhealthyReplicas(oldActive, maxScaledDown, scale)
	if err != nil {
		return false, err
	}
	withNew := append(append([]*appsv1.ReplicaSet(nil), oldActive...), newRS)
	scaled, err := scaleDownOldForRollingUpdate(d, withNew, oldActive, scale)
	if err != nil {
		return false, err
	}
	return cleaned+scaled > 0, nil
}

func statusOr0(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return rs.Status.AvailableReplicas
}

// cleanupUnhealthyReplicas scales old ReplicaSets down by their unavailable
// replicas, oldest first, at most maxCleanup in total.
func cleanupUnhealthyReplicas(old []*appsv1.ReplicaSet, maxCleanup int32, scale ScaleFunc) (int32, error) {
	sort.Sort(byCreation(old))
	var total int32
	for _, rs := range old {
		if total >= maxCleanup {
			break
		}
		if replicas(rs) == 0 || replicas(rs) == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, replicas(rs)-rs.Status.AvailableReplicas)
		if _, err := scale(rs, replicas(rs)-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// scaleDownOldForRollingUpdate scales old ReplicaSets down, oldest first, by
// as many available replicas as exceed minAvailable.
func scaleDownOldForRollingUpdate(d *appsv1.Deployment, all, old []*appsv1.ReplicaSet, scale ScaleFunc) (int32, error) {
	minAvailable := desired(d) - MaxUnavailable(d)
	avail := available(all)
	if avail <= minAvailable {
		return 0, nil
	}
	want := avail - minAvailable
	sort.Sort(byCreation(old))
	var total int32
	for _, rs := range old {
		if total >= want {
			break
		}
		if replicas(rs) == 0 {
			continue
		}
		n := min(replicas(rs), want-total)
		if _, err := scale(rs, replicas(rs)-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// byCreation orders oldest first, then by name.
type byCreation []*appsv1.ReplicaSet

func (o byCreation) Len() int      { return len(o) }
func (o byCreation) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byCreation) Less(i, j int) bool {
	if o[i].CreationTimestamp.Equal(&o[j].CreationTimestamp) {
		return o[i].Name < o[j].Name
	}
	return o[i].CreationTimestamp.Before(&o[j].CreationTimestamp)
}

// activeOf returns the ReplicaSets with spec.replicas > 0 (nil skipped).
func activeOf(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range rss {
		if rs != nil && replicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}
