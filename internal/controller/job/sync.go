package job

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
)

// managedByJobController is spec.managedBy's value for this controller.
const managedByJobController = "kubernetes.io/job-controller"

// sync converges one Job: claim its pods, count terminated ones through
// the uncounted lists and the tracking finalizer, decide success or
// failure, create or delete pods, and write the status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // not a key we made; nothing can fix it
	}
	cached, err := c.jobs.Jobs(ns).Get(name)
	var live types.UID
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("get job %s: %w", key, err)
	default:
		cached = c.expect.freshest(key, cached)
		live = cached.UID
	}
	orphans, err := c.orphanedPods(ns, name, live)
	if err != nil {
		return err
	}
	if _, err := c.releaseFinalizers(ctx, key, orphans); err != nil || cached == nil {
		return err
	}
	pods, err := c.claimPods(ctx, cached)
	if err != nil {
		return err
	}
	if m := cached.Spec.ManagedBy; m != nil && *m != managedByJobController {
		return nil // another controller owns this Job
	}
	if isFinished(&cached.Status) {
		_, err := c.releaseFinalizers(ctx, key, filterPods(pods, hasFinalizer))
		return err
	}
	return c.syncRunning(ctx, key, cached.DeepCopy(), pods)
}

// round is one sync's working state for a Job that has not finished.
type round struct {
	key       string
	job       *batchv1.Job
	pods      []*corev1.Pod
	now       time.Time
	sets      podSets
	unc       uncounted
	tally     tally
	verdict   *verdict
	completed sets.Set[int]
	failedIdx sets.Set[int] // with backoffLimitPerIndex
}

func (c *Controller) syncRunning(ctx context.Context, key string, job *batchv1.Job, pods []*corev1.Pod) error {
	r := c.newRound(key, job, pods)
	// 1. Record newly terminated pods before any finalizer goes.
	written := r.job.Status.DeepCopy()
	changed := len(r.tally.newSucceeded)+len(r.tally.newFailed) > 0
	r.unc.succeeded.Insert(r.tally.newSucceeded...)
	r.unc.failed.Insert(r.tally.newFailed...)
	r.unc.write(&r.job.Status)
	if isIndexed(r.job) {
		r.job.Status.CompletedIndexes = formatIndexes(sets.List(r.completed))
	}
	if r.job.Spec.BackoffLimitPerIndex != nil {
		r.job.Status.FailedIndexes = ptrTo(formatIndexes(sets.List(r.failedIdx)))
	}
	mnow := metav1.NewTime(r.now)
	if r.verdict != nil && setCondition(&r.job.Status, r.verdict.condition, corev1.ConditionTrue, r.verdict.reason, r.verdict.message, mnow) {
		changed = true
	}
	if c.suspension(r.job, r.verdict, mnow) {
		changed = true
	}
	if changed {
		if err := c.writeStatus(ctx, r); err != nil {
			return err
		}
		written = r.job.Status.DeepCopy()
	}
	c.recordBackoff(key, r.tally)
	// 2. Release finalizers; flush the counted pods into the counters.
	done, relErr := c.releaseFinalizers(ctx, key, r.tally.release)
	done = append(done, r.settled()...)
	// 3. Create or delete pods.
	created, deleted, manageErr := c.managePods(ctx, r)
	// 4. Final status.
	r.unc.flush(&r.job.Status, done)
	if isIndexed(r.job) {
		r.job.Status.Succeeded = int32(r.completed.Len()) // one success per index, as upstream
	}
	r.job.Status.Active = int32(len(r.sets.active) + created - len(deleted))
	r.job.Status.Terminating = ptrTo(int32(len(r.sets.terminating) + len(deleted)))
	r.job.Status.Ready = ptrTo(int32(countPods(r.sets.active, func(p *corev1.Pod) bool { return isReady(p) && !deleted.Has(p.UID) })))
	c.finish(r, relErr == nil, mnow)
	if !equality.Semantic.DeepEqual(written, &r.job.Status) {
		if err := c.writeStatus(ctx, r); err != nil {
			return errors.Join(err, relErr, manageErr)
		}
	}
	if d := deadlineRemaining(r.job, r.now); r.verdict == nil && d > 0 {
		c.queue.AddAfter(key, d)
	}
	return errors.Join(relErr, manageErr)
}

// newRound counts the Job's pods and decides whether it now finishes.
func (c *Controller) newRound(key string, job *batchv1.Job, pods []*corev1.Pod) *round {
	r := &round{key: key, job: job, pods: pods, now: c.clock.Now(), sets: classify(pods), unc: readUncounted(&job.Status)}
	in := trackInput{job: job, pods: pods, uncountedSucceeded: r.unc.succeeded, uncountedFailed: r.unc.failed,
		removed: func(uid types.UID) bool { return c.expect.isRemoved(key, uid) }, now: r.now}
	r.verdict = interim(&job.Status)
	in.finishing = r.verdict != nil
	r.tally = track(in)
	completions := int(ptrValue(job.Spec.Completions, 0))
	r.completed = sets.New(parseIndexes(job.Status.CompletedIndexes, completions)...).Insert(r.tally.newIndexes...)
	r.failedIdx = sets.New(parseIndexes(ptrValue(job.Status.FailedIndexes, ""), completions)...).Insert(r.tally.newFailedIndexes...)
	if r.verdict == nil {
		pr := progress{
			succeeded:        int(job.Status.Succeeded) + r.unc.succeeded.Len() + len(r.tally.newSucceeded),
			failed:           int(job.Status.Failed) + r.unc.failed.Len() + len(r.tally.newFailed),
			active:           len(r.sets.active),
			completedIndexes: r.completed.Len(),
			failedIndexes:    r.failedIdx.Len(),
		}
		if r.verdict = decideFinish(job, pr, r.tally.failJobMessage, r.now); r.verdict != nil {
			in.finishing = true
			r.tally = track(in)
			r.completed.Insert(r.tally.newIndexes...)
			r.failedIdx.Insert(r.tally.newFailedIndexes...)
		}
	}
	return r
}

// settled lists uncounted pods that no longer hold the finalizer: gone, or
// seen without it, or released earlier.
func (r *round) settled() []types.UID {
	byUID := map[types.UID]*corev1.Pod{}
	for _, p := range r.pods {
		byUID[p.UID] = p
	}
	var out []types.UID
	for _, uid := range append(sets.List(r.unc.succeeded), sets.List(r.unc.failed)...) {
		if p := byUID[uid]; p == nil || !hasFinalizer(p) {
			out = append(out, uid)
		}
	}
	return out
}

// suspension keeps startTime and the Suspended condition in step with
// spec.suspend, with upstream's events; it reports a change.
func (c *Controller) suspension(job *batchv1.Job, v *verdict, now metav1.Time) bool {
	changed := false
	switch suspended := ptrValue(job.Spec.Suspend, false); {
	case suspended && v == nil:
		if setCondition(&job.Status, batchv1.JobSuspended, corev1.ConditionTrue, reasonSuspended, msgSuspended, now) {
			c.recorder.Event(job, corev1.EventTypeNormal, "Suspended", msgSuspended)
			changed = true
		}
	case !suspended && conditionTrue(&job.Status, batchv1.JobSuspended):
		setCondition(&job.Status, batchv1.JobSuspended, corev1.ConditionFalse, reasonResumed, msgResumed, now)
		c.recorder.Event(job, corev1.EventTypeNormal, "Resumed", msgResumed)
		job.Status.StartTime = &now // the deadline counts from the resumption
		changed = true
	}
	if !ptrValue(job.Spec.Suspend, false) && job.Status.StartTime == nil {
		job.Status.StartTime = &now
		changed = true
	}
	return changed
}

// managePods deletes every active pod of a finishing or suspended Job, and
// otherwise creates and deletes pods per planPods once the previous round's
// creations and deletions are observed and the failure backoff has passed;
// a Job being deleted gets no new pods.
func (c *Controller) managePods(ctx context.Context, r *round) (created int, deleted sets.Set[types.UID], err error) {
	deleted = sets.New[types.UID]()
	if r.verdict != nil || ptrValue(r.job.Spec.Suspend, false) {
		return 0, uidsOf(r.sets.active), c.deletePods(ctx, r.key, r.job, r.sets.active)
	}
	if r.job.DeletionTimestamp != nil || !c.expect.satisfied(r.key, r.now) {
		return 0, deleted, nil
	}
	succeeded := int(r.job.Status.Succeeded) + r.unc.succeeded.Len()
	plan := planPods(r.job, r.sets, succeeded, r.completed.Union(r.failedIdx))
	if len(plan.delete) > 0 {
		return 0, uidsOf(plan.delete), c.deletePods(ctx, r.key, r.job, plan.delete)
	}
	var pods []*corev1.Pod
	for range plan.create {
		pods = append(pods, newPod(r.job, nil))
	}
	failures := indexFailures(r.job, r.pods)
	for _, i := range plan.createIndexes {
		p := newPod(r.job, &i)
		if r.job.Spec.BackoffLimitPerIndex != nil {
			p.Annotations[batchv1.JobIndexFailureCountAnnotation] = strconv.Itoa(failures[i])
		}
		pods = append(pods, p)
	}
	if len(pods) == 0 {
		return 0, deleted, nil
	}
	c.mu.Lock()
	wait := c.backoff[r.key].remaining(r.now)
	c.mu.Unlock()
	if wait > 0 {
		c.queue.AddAfter(r.key, wait)
		return 0, deleted, nil
	}
	err = c.createPods(ctx, r.key, r.job, pods)
	return len(pods), deleted, err
}

// finish adds Complete or Failed once a finishing Job has no uncounted or
// terminating pods left, with completionTime and upstream's event.
func (c *Controller) finish(r *round, released bool, now metav1.Time) {
	v := r.verdict
	st := &r.job.Status
	if v == nil || !released || st.UncountedTerminatedPods != nil || ptrValue(st.Terminating, 0) > 0 || st.Active > 0 {
		return
	}
	if !setCondition(st, v.finalCondition(), corev1.ConditionTrue, v.reason, v.message, now) {
		return
	}
	if v.finalCondition() == batchv1.JobComplete {
		st.CompletionTime = &now
		c.recorder.Event(r.job, corev1.EventTypeNormal, "Completed", "Job completed")
		return
	}
	c.recorder.Event(r.job, corev1.EventTypeWarning, v.reason, v.message)
}

func (c *Controller) writeStatus(ctx context.Context, r *round) error {
	out, err := c.client.BatchV1().Jobs(r.job.Namespace).UpdateStatus(ctx, r.job, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status of job %s: %w", r.key, err)
	}
	c.expect.wroteStatus(r.key, out.DeepCopy())
	r.job = out
	r.unc = readUncounted(&out.Status)
	return nil
}

func (c *Controller) recordBackoff(key string, t tally) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.backoff[key] = c.backoff[key].next(len(t.newSucceeded), len(t.newFailed), t.lastFailure)
}

func filterPods(pods []*corev1.Pod, keep func(*corev1.Pod) bool) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

func countPods(pods []*corev1.Pod, f func(*corev1.Pod) bool) int {
	return len(filterPods(pods, f))
}

func uidsOf(pods []*corev1.Pod) sets.Set[types.UID] {
	s := sets.New[types.UID]()
	for _, p := range pods {
		s.Insert(p.UID)
	}
	return s
}

func ptrTo[T any](v T) *T { return &v }
