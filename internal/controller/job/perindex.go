package job

import (
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// failsIndex reports the index a counted pod failure fails for good, with
// backoffLimitPerIndex: a FailIndex rule matched, or the pod's index has now
// failed more than the limit allows.
func failsIndex(job *batchv1.Job, p *corev1.Pod, action batchv1.PodFailurePolicyAction) (int, bool) {
	limit := job.Spec.BackoffLimitPerIndex
	if limit == nil || !isIndexed(job) {
		return 0, false
	}
	i, ok := podIndex(p.Annotations, p.Labels)
	if !ok || i >= int(ptrValue(job.Spec.Completions, 0)) {
		return 0, false
	}
	if action == batchv1.PodFailurePolicyActionFailIndex || indexFailureCount(p)+1 > int(*limit) {
		return i, true
	}
	return 0, false
}

// indexFailureCount reads the failures of a pod's index before it, from the
// batch.kubernetes.io/job-index-failure-count annotation.
func indexFailureCount(p *corev1.Pod) int {
	n, err := strconv.Atoi(p.Annotations[batchv1.JobIndexFailureCountAnnotation])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// indexFailures is, per index, how many counted failures its pods had so
// far: the highest failure-count annotation of a failed pod plus one. New
// pods of the index carry it in their annotation.
func indexFailures(job *batchv1.Job, pods []*corev1.Pod) map[int]int {
	out := map[int]int{}
	if job.Spec.BackoffLimitPerIndex == nil {
		return out
	}
	for _, p := range pods {
		deleted := p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded && !ptrValue(job.Spec.Suspend, false)
		if p.Status.Phase != corev1.PodFailed && !deleted {
			continue
		}
		i, ok := podIndex(p.Annotations, p.Labels)
		if !ok {
			continue
		}
		n := indexFailureCount(p)
		if evaluateFailurePolicy(job.Spec.PodFailurePolicy, p).action != batchv1.PodFailurePolicyActionIgnore {
			n++
		}
		out[i] = max(out[i], n)
	}
	return out
}
