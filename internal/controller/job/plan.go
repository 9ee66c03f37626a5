package job

import (
	"cmp"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// podPlan is what a running (not suspended, not finishing) Job needs.
type podPlan struct {
	create        int   // NonIndexed: pods to create
	createIndexes []int // Indexed: one pod per index, lowest first
	delete        []*corev1.Pod
}

// planPods computes the pods to create and delete so that the Job has
// min(parallelism, remaining completions) active pods. With
// podReplacementPolicy Failed, terminating pods still hold their slot.
// completed is the set of indexes needing no more pods: succeeded, or
// failed for good with backoffLimitPerIndex (Indexed mode only).
func planPods(job *batchv1.Job, s podSets, succeeded int, completed sets.Set[int]) podPlan {
	parallelism := int(ptrValue(job.Spec.Parallelism, 1))
	held := 0
	if ptrValue(job.Spec.PodReplacementPolicy, batchv1.TerminatingOrFailed) == batchv1.Failed {
		held = len(s.terminating)
	}
	if isIndexed(job) {
		return planIndexed(job, s.active, held, parallelism, completed)
	}
	var want int
	switch c := job.Spec.Completions; {
	case c != nil:
		want = min(parallelism, max(int(*c)-succeeded, 0))
	case succeeded > 0:
		want = len(s.active) // some pod succeeded: let the rest finish, start none
	default:
		want = parallelism
	}
	if len(s.active) > want {
		victims := slices.Clone(s.active)
		slices.SortStableFunc(victims, deletionOrder)
		return podPlan{delete: victims[:len(s.active)-want]}
	}
	return podPlan{create: max(want-len(s.active)-held, 0)}
}

// planIndexed keeps one active pod per incomplete index, deletes pods with
// bad, duplicate, completed or surplus indexes, and creates pods for the
// lowest indexes that have none.
func planIndexed(job *batchv1.Job, active []*corev1.Pod, held, parallelism int, completed sets.Set[int]) podPlan {
	completions := int(ptrValue(job.Spec.Completions, 0))
	var plan podPlan
	kept := map[int]*corev1.Pod{}
	for _, p := range active {
		i, ok := podIndex(p.Annotations, p.Labels)
		if !ok || i >= completions || completed.Has(i) || kept[i] != nil {
			plan.delete = append(plan.delete, p)
			continue
		}
		kept[i] = p
	}
	want := min(parallelism, max(completions-completed.Len(), 0))
	if len(kept) > want {
		idx := sortedKeys(kept)
		for _, i := range idx[want:] {
			plan.delete = append(plan.delete, kept[i])
		}
		return plan
	}
	n := want - len(kept) - held
	for i := 0; i < completions && len(plan.createIndexes) < n; i++ {
		if !completed.Has(i) && kept[i] == nil {
			plan.createIndexes = append(plan.createIndexes, i)
		}
	}
	return plan
}

func sortedKeys(m map[int]*corev1.Pod) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// deletionOrder ranks pods cheapest to lose first: unscheduled, then
// pending, then not ready, then the newest.
func deletionOrder(a, b *corev1.Pod) int {
	rank := func(p *corev1.Pod) [3]bool {
		return [3]bool{p.Spec.NodeName != "", p.Status.Phase != corev1.PodPending, isReady(p)}
	}
	ra, rb := rank(a), rank(b)
	for i := range ra {
		if ra[i] != rb[i] {
			if !ra[i] {
				return -1
			}
			return 1
		}
	}
	return -cmp.Compare(a.CreationTimestamp.UnixNano(), b.CreationTimestamp.UnixNano())
}
