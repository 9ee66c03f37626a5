package deployment

import (
	"math"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
)

// Replica annotations on ReplicaSets, as upstream.
const (
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	MaxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
)

// Scale resizes the ReplicaSets of d after d's replicas changed (or while
// paused): a single active (or else the newest) ReplicaSet takes the whole
// size; a saturated new ReplicaSet scales the old ones to zero; otherwise,
// for RollingUpdate, the difference to replicas+maxSurge is spread over the
// active ReplicaSets in proportion to their size, leftovers going to the
// largest. old may be reordered.
func Scale(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet, scale ScaleFunc) error {
	if rs := activeOrLatest(newRS, old); rs != nil {
		if replicas(rs) == desired(d) {
			return nil
		}
		_, err := scale(rs, desired(d))
		return err
	}
	if IsSaturated(d, newRS) {
		for _, rs := range activeOf(old) {
			if _, err := scale(rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRolling(d) {
		return nil
	}
	return scaleProportionally(d, activeOf(append(append([]*appsv1.ReplicaSet(nil), old...), newRS)), scale)
}

func scaleProportionally(d *appsv1.Deployment, active []*appsv1.ReplicaSet, scale ScaleFunc) error {
	var allowed int32
	if desired(d) > 0 {
		allowed = desired(d) + MaxSurge(d)
	}
	toAdd := allowed - specSum(active)
	switch {
	case toAdd > 0:
		sort.Sort(bySizeNewer(active))
	case toAdd < 0:
		sort.Sort(bySizeOlder(active))
	}
	sizes := make([]int32, len(active))
	var added int32
	for i, rs := range active {
		p := proportion(d, rs, toAdd, added)
		sizes[i] = replicas(rs) + p
		added += p
	}
	if len(active) > 0 && toAdd != 0 {
		sizes[0] = max(sizes[0]+toAdd-added, 0)
	}
	for i, rs := range active {
		if _, err := scale(rs, sizes[i]); err != nil {
			return err
		}
	}
	return nil
}

// proportion is rs's share of toAdd given what was added so far.
func proportion(d *appsv1.Deployment, rs *appsv1.ReplicaSet, toAdd, added int32) int32 {
	if replicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	frac := fraction(d, rs)
	left := toAdd - added
	if toAdd > 0 {
		return min(frac, left)
	}
	return max(frac, left)
}

// fraction is how much rs should change when d goes from the size recorded
// in rs's max-replicas annotation to replicas+maxSurge.
func fraction(d *appsv1.Deployment, rs *appsv1.ReplicaSet) int32 {
	if desired(d) == 0 {
		return -replicas(rs)
	}
	target := desired(d) + MaxSurge(d)
	annotated, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok || annotated == 0 {
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := float64(replicas(rs)*target) / float64(annotated)
	return int32(math.Round(size)) - replicas(rs)
}

func intAnnotation(rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// IsSaturated reports whether newRS has the desired size, was created for
// it, and all its replicas are available.
func IsSaturated(d *appsv1.Deployment, newRS *appsv1.ReplicaSet) bool {
	if newRS == nil {
		return false
	}
	want, ok := intAnnotation(newRS, DesiredReplicasAnnotation)
	return ok && replicas(newRS) == desired(d) && want == desired(d) && newRS.Status.AvailableReplicas == desired(d)
}

// activeOrLatest returns the only active ReplicaSet; if none is active, the
// new one or else the newest old one; nil if several are active.
func activeOrLatest(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(old) == 0 {
		return nil
	}
	sort.Sort(sort.Reverse(byCreation(old)))
	all := activeOf(append(append([]*appsv1.ReplicaSet(nil), old...), newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return old[0]
	case 1:
		return all[0]
	}
	return nil
}

// SetReplicasAnnotations records desired and max (desired+maxSurge) on rs
// and reports whether they changed.
func SetReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	d, m := strconv.Itoa(int(desired)), strconv.Itoa(int(maxReplicas))
	if rs.Annotations[DesiredReplicasAnnotation] == d && rs.Annotations[MaxReplicasAnnotation] == m {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[DesiredReplicasAnnotation] = d
	rs.Annotations[MaxReplicasAnnotation] = m
	return true
}

// bySizeOlder orders larger first, then older first.
type bySizeOlder []*appsv1.ReplicaSet

func (o bySizeOlder) Len() int      { return len(o) }
func (o bySizeOlder) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeOlder) Less(i, j int) bool {
	if replicas(o[i]) == replicas(o[j]) {
		return byCreation(o).Less(i, j)
	}
	return replicas(o[i]) > replicas(o[j])
}

// bySizeNewer orders larger first, then newer first.
type bySizeNewer []*appsv1.ReplicaSet

func (o bySizeNewer) Len() int      { return len(o) }
func (o bySizeNewer) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeNewer) Less(i, j int) bool {
	if replicas(o[i]) == replicas(o[j]) {
		return byCreation(o).Less(j, i)
	}
	return replicas(o[i]) > replicas(o[j])
}
