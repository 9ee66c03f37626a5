package replicaset

import (
	"math"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DeletionCostAnnotation lets users prefer which pods are deleted first on
// scale down (lower cost first), as upstream.
const DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// PodsToDelete returns the n pods of candidates to delete on scale down, in
// upstream preference order. related are all active pods of the same
// workload (including candidates): pods on nodes crowded with related pods
// are deleted first. candidates is not modified.
func PodsToDelete(candidates, related []*corev1.Pod, n int, now time.Time) []*corev1.Pod {
	if n <= 0 {
		return nil
	}
	ranked := RankForDeletion(candidates, related, now)
	if n > len(ranked) {
		n = len(ranked)
	}
	return ranked[:n]
}

// RankForDeletion sorts a copy of candidates so that the pod to delete first
// comes first: unassigned < assigned; Pending < Unknown < Running; not ready
// < ready; lower deletion cost < higher; more related pods on its node <
// fewer; ready for less time < more time; more restarts < fewer; newer <
// older. Times are compared on a log2 scale of their age, ties broken by UID.
func RankForDeletion(candidates, related []*corev1.Pod, now time.Time) []*corev1.Pod {
	perNode := map[string]int{}
	for _, p := range related {
		if p.Spec.NodeName != "" && IsPodActive(p) {
			perNode[p.Spec.NodeName]++
		}
	}
	r := ranking{pods: append([]*corev1.Pod(nil), candidates...), rank: make([]int, len(candidates)), now: now}
	for i, p := range r.pods {
		r.rank[i] = perNode[p.Spec.NodeName]
	}
	sort.Sort(r)
	return r.pods
}

type ranking struct {
	pods []*corev1.Pod
	rank []int
	now  time.Time
}

func (r ranking) Len() int { return len(r.pods) }
func (r ranking) Swap(i, j int) {
	r.pods[i], r.pods[j] = r.pods[j], r.pods[i]
	r.rank[i], r.rank[j] = r.rank[j], r.rank[i]
}

func phaseOrdinal(p corev1.PodPhase) int {
	switch p {
	case corev1.PodPending:
		return 0
	case corev1.PodUnknown:
		return 1
	case corev1.PodRunning:
		return 2
	}
	return -1
}

// Less reports whether pod i should be deleted before pod j.
func (r ranking) Less(i, j int) bool {
	a, b := r.pods[i], r.pods[j]
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if pa, pb := phaseOrdinal(a.Status.Phase), phaseOrdinal(b.Status.Phase); pa != pb {
		return pa < pb
	}
	ra, rb := IsPodReady(a), IsPodReady(b)
	if ra != rb {
		return !ra
	}
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	if r.rank[i] != r.rank[j] {
		return r.rank[i] > r.rank[j]
	}
	if ra && rb {
		ta, tb := readyCondition(a).LastTransitionTime.Time, readyCondition(b).LastTransitionTime.Time
		if !ta.Equal(tb) {
			return r.newer(a, b, ta, tb)
		}
	}
	if ma, mb := maxRestarts(a), maxRestarts(b); ma != mb {
		return ma > mb
	}
	ta, tb := a.CreationTimestamp.Time, b.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return r.newer(a, b, ta, tb)
	}
	return false
}

// newer reports whether time ta (of pod a) is to be treated as more recent
// than tb: a zero time is the most recent; otherwise ages are compared in
// log2 buckets and equal buckets fall back to the UID.
func (r ranking) newer(a, b *corev1.Pod, ta, tb time.Time) bool {
	if ta.IsZero() || tb.IsZero() || r.now.IsZero() {
		if ta.IsZero() || tb.IsZero() {
			return ta.IsZero()
		}
		return ta.After(tb)
	}
	if d := logBucket(r.now.Sub(ta)) - logBucket(r.now.Sub(tb)); d != 0 {
		return d < 0
	}
	return a.UID < b.UID
}

func logBucket(age time.Duration) int64 {
	if age <= 0 {
		return -1
	}
	return int64(math.Log2(float64(age)))
}

func deletionCost(p *corev1.Pod) int32 {
	v, ok := p.Annotations[DeletionCostAnnotation]
	if !ok {
		return 0
	}
	c, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(c)
}

func maxRestarts(p *corev1.Pod) int32 {
	var m int32
	for _, s := range p.Status.ContainerStatuses {
		m = max(m, s.RestartCount)
	}
	for _, s := range p.Status.InitContainerStatuses {
		m = max(m, s.RestartCount)
	}
	return m
}
