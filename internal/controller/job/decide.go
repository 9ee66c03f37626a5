package job

import (
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

const (
	completionIndexKey = batchv1.JobCompletionIndexAnnotation
	trackingFinalizer  = batchv1.JobTrackingFinalizer
)

// podSets sorts a Job's pods by lifecycle.
type podSets struct {
	active      []*corev1.Pod // not terminal, not being deleted
	terminating []*corev1.Pod // being deleted, not terminal
	succeeded   []*corev1.Pod
	failed      []*corev1.Pod
}

func classify(pods []*corev1.Pod) podSets {
	var s podSets
	for _, p := range pods {
		switch {
		case p.Status.Phase == corev1.PodSucceeded:
			s.succeeded = append(s.succeeded, p)
		case p.Status.Phase == corev1.PodFailed:
			s.failed = append(s.failed, p)
		case p.DeletionTimestamp != nil:
			s.terminating = append(s.terminating, p)
		default:
			s.active = append(s.active, p)
		}
	}
	return s
}

func hasFinalizer(p *corev1.Pod) bool { return slices.Contains(p.Finalizers, trackingFinalizer) }

func isReady(p *corev1.Pod) bool { return hasPodCondition(p, corev1.PodReady, corev1.ConditionTrue) }

// trackInput is one sync's view for counting terminated pods.
type trackInput struct {
	job  *batchv1.Job
	pods []*corev1.Pod
	// uncountedSucceeded/Failed mirror status.uncountedTerminatedPods.
	uncountedSucceeded, uncountedFailed sets.Set[types.UID]
	// finishing: the Job has (or is about to get) SuccessCriteriaMet or
	// FailureTarget; every remaining pod is then counted and released.
	finishing bool
	// removed reports finalizer removals already done but not yet seen
	// by the informer; such pods were counted and must not be again.
	removed func(types.UID) bool
	now     time.Time
}

// tally is what counting found: pods newly terminated since the status was
// last written, and the pods whose tracking finalizer can go now.
type tally struct {
	newSucceeded, newFailed []types.UID
	newIndexes              []int         // completion indexes of newSucceeded (Indexed)
	newFailedIndexes        []int         // indexes past backoffLimitPerIndex or failed by a FailIndex rule
	release                 []*corev1.Pod // pods whose finalizer to remove
	failJobMessage          string        // a FailJob rule matched
	lastFailure             time.Time
}

// track counts the pods that still carry the tracking finalizer, as
// upstream does: a succeeded pod counts as succeeded; a failed one counts as
// failed unless the failure policy ignores it; a pod being deleted counts
// as failed when the replacement policy is TerminatingOrFailed and the Job
// is not suspended; once the Job is finishing every other pod counts as
// failed. Pods already in the uncounted lists are only released again.
func track(in trackInput) tally {
	var t tally
	completions := int(ptrValue(in.job.Spec.Completions, 0))
	indexed := isIndexed(in.job)
	suspended := ptrValue(in.job.Spec.Suspend, false)
	replaceTerminating := ptrValue(in.job.Spec.PodReplacementPolicy, batchv1.TerminatingOrFailed) == batchv1.TerminatingOrFailed
	for _, p := range in.pods {
		if !hasFinalizer(p) || in.removed(p.UID) {
			continue
		}
		if in.uncountedSucceeded.Has(p.UID) || in.uncountedFailed.Has(p.UID) {
			t.release = append(t.release, p)
			continue
		}
		switch {
		case p.Status.Phase == corev1.PodSucceeded:
			t.release = append(t.release, p)
			t.newSucceeded = append(t.newSucceeded, p.UID)
			if i, ok := podIndex(p.Annotations, p.Labels); indexed && ok && i < completions {
				t.newIndexes = append(t.newIndexes, i)
			}
		case p.Status.Phase == corev1.PodFailed:
			t.release = append(t.release, p)
			v := evaluateFailurePolicy(in.job.Spec.PodFailurePolicy, p)
			if v.action == batchv1.PodFailurePolicyActionIgnore {
				continue
			}
			if v.action == batchv1.PodFailurePolicyActionFailJob && t.failJobMessage == "" {
				t.failJobMessage = v.message
			}
			t.countFailed(in.job, p, v.action, in.now)
		case p.DeletionTimestamp != nil && suspended && !in.finishing:
			t.release = append(t.release, p)
		case p.DeletionTimestamp != nil && replaceTerminating, in.finishing:
			t.release = append(t.release, p)
			t.countFailed(in.job, p, batchv1.PodFailurePolicyActionCount, in.now)
		}
	}
	return t
}

func (t *tally) countFailed(job *batchv1.Job, p *corev1.Pod, action batchv1.PodFailurePolicyAction, now time.Time) {
	t.newFailed = append(t.newFailed, p.UID)
	if i, ok := failsIndex(job, p, action); ok {
		t.newFailedIndexes = append(t.newFailedIndexes, i)
	}
	if f := finishTime(p, now); f.After(t.lastFailure) {
		t.lastFailure = f
	}
}

// finishTime is when a pod stopped: its last container termination, else
// its deletion, else now.
func finishTime(p *corev1.Pod, now time.Time) time.Time {
	var last time.Time
	for _, cs := range p.Status.ContainerStatuses {
		if term := cs.State.Terminated; term != nil && term.FinishedAt.After(last) {
			last = term.FinishedAt.Time
		}
	}
	switch {
	case !last.IsZero():
		return last
	case p.DeletionTimestamp != nil:
		return p.DeletionTimestamp.Time
	}
	return now
}

// verdict is an interim terminal condition: SuccessCriteriaMet or
// FailureTarget, with the reason and message the final Complete or Failed
// condition will carry.
type verdict struct {
	condition batchv1.JobConditionType
	reason    string
	message   string
}

// Condition reasons and messages as upstream writes them.
const (
	msgBackoffLimit = "Job has reached the specified backoff limit"
	msgDeadline     = "Job was active longer than specified deadline"
	msgCompletions  = "Reached expected number of succeeded pods"

	msgMaxFailedIndexes = "Job has exceeded the specified maximal number of failed indexes"
	msgFailedIndexes    = "Job has failed indexes"
)

// progress is the Job's counts after this sync's tally.
type progress struct {
	succeeded, failed, active int
	completedIndexes          int // Indexed only
	failedIndexes             int // Indexed with backoffLimitPerIndex only
}

// decideFinish says whether the Job has now met a failure or success
// criterion, checking failures first as upstream does: a FailJob policy
// rule, then the backoff limit, then the active deadline.
func decideFinish(job *batchv1.Job, pr progress, failJobMessage string, now time.Time) *verdict {
	switch {
	case failJobMessage != "":
		return &verdict{batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, failJobMessage}
	case pr.failed > int(ptrValue(job.Spec.BackoffLimit, 6)):
		return &verdict{batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, msgBackoffLimit}
	case job.Spec.MaxFailedIndexes != nil && pr.failedIndexes > int(*job.Spec.MaxFailedIndexes):
		return &verdict{batchv1.JobFailureTarget, batchv1.JobReasonMaxFailedIndexesExceeded, msgMaxFailedIndexes}
	case deadlineRemaining(job, now) == 0:
		return &verdict{batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, msgDeadline}
	}
	var done bool
	switch c := job.Spec.Completions; {
	case isIndexed(job) && c != nil && pr.failedIndexes > 0 && pr.completedIndexes+pr.failedIndexes >= int(*c):
		return &verdict{batchv1.JobFailureTarget, batchv1.JobReasonFailedIndexes, msgFailedIndexes}
	case isIndexed(job) && c != nil:
		done = pr.completedIndexes >= int(*c)
	case c != nil:
		done = pr.succeeded >= int(*c)
	default:
		done = pr.succeeded > 0 && pr.active == 0
	}
	if done {
		return &verdict{batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, msgCompletions}
	}
	return nil
}

// deadlineRemaining is the time left before activeDeadlineSeconds passes:
// -1 when there is no deadline running, 0 when it has passed.
func deadlineRemaining(job *batchv1.Job, now time.Time) time.Duration {
	ads := job.Spec.ActiveDeadlineSeconds
	if ads == nil || job.Status.StartTime == nil || ptrValue(job.Spec.Suspend, false) {
		return -1
	}
	end := job.Status.StartTime.Add(time.Duration(*ads) * time.Second)
	return max(end.Sub(now), 0)
}

func isIndexed(job *batchv1.Job) bool {
	return ptrValue(job.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion
}

func ptrValue[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
