package cronjob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// sync converges one CronJob and returns when its schedule next needs a
// look (0: only when something changes).
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.cronJobs.CronJobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get cronjob %s: %w", key, err)
	}
	cj := cached.DeepCopy()
	children, err := c.children(cj)
	if err != nil {
		return 0, err
	}
	activeErr := c.syncActive(ctx, cj, children)
	requeue, schedErr := c.schedule(ctx, cj)
	histErr := c.cleanHistory(ctx, cj, children)
	if !equality.Semantic.DeepEqual(cached.Status, cj.Status) {
		if _, err := c.client.BatchV1().CronJobs(ns).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil {
			return 0, errors.Join(fmt.Errorf("update status of cronjob %s: %w", key, err), activeErr, schedErr, histErr)
		}
	}
	return requeue, errors.Join(activeErr, schedErr, histErr)
}

// children lists the Jobs cj controls.
func (c *Controller) children(cj *batchv1.CronJob) ([]*batchv1.Job, error) {
	all, err := c.jobs.Jobs(cj.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list jobs of cronjob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	return slices.DeleteFunc(all, func(j *batchv1.Job) bool { return !metav1.IsControlledBy(j, cj) }), nil
}

// syncActive reconciles status.active with the Jobs, recording
// SawCompletedJob, UnexpectedJob and lastSuccessfulTime as upstream.
func (c *Controller) syncActive(ctx context.Context, cj *batchv1.CronJob, children []*batchv1.Job) error {
	v := reconcileActive(cj, children)
	var errs []error
	for _, ref := range v.missing {
		live, err := c.client.BatchV1().Jobs(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("get job %s/%s: %w", ref.Namespace, ref.Name, err))
			v.active = append(v.active, ref)
		case live.UID == ref.UID && finishedAs(live) == "":
			v.active = append(v.active, ref) // the cache is behind
		}
	}
	for _, j := range v.unexpected {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j.Name)
	}
	for _, j := range v.completed {
		cond := finishedAs(j)
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %v", j.Name, cond)
		last := cj.Status.LastSuccessfulTime
		if ct := j.Status.CompletionTime; cond == batchv1.JobComplete && ct != nil && (last == nil || ct.After(last.Time)) {
			cj.Status.LastSuccessfulTime = ct.DeepCopy()
		}
	}
	cj.Status.Active = v.active
	return errors.Join(errs...)
}

// schedule starts the Job for the most recent unmet schedule time, if any
// may start, and returns the wait until the next schedule time.
func (c *Controller) schedule(ctx context.Context, cj *batchv1.CronJob) (time.Duration, error) {
	if cj.DeletionTimestamp != nil {
		return 0, nil
	}
	sched, loc, err := parseSchedule(cj)
	if err != nil {
		var se *scheduleError
		if errors.As(err, &se) {
			c.recorder.Event(cj, corev1.EventTypeWarning, se.reason, se.message)
		}
		return 0, nil // fixed only by an edit, which requeues
	}
	if ptrValue(cj.Spec.Suspend) {
		return 0, nil
	}
	now := c.clock.Now().In(loc)
	next, _ := untilNext(sched, now) // 0 when the schedule never fires again
	t, missed := mostRecent(sched, earliestTime(cj, now).In(loc), now)
	switch {
	case t.IsZero():
		return next, nil
	case tooLate(cj, t, now):
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", t.UTC().Format(time.RFC1123Z))
		return next, nil
	case cj.Status.LastScheduleTime.Equal(&metav1.Time{Time: t}) || slices.ContainsFunc(cj.Status.Active, func(r corev1.ObjectReference) bool {
		return r.Name == jobName(cj, t)
	}):
		return next, nil
	}
	if missed > maxMissed {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "TooManyMissedTimes",
			"too many missed start times (> %d). Set or decrease .spec.startingDeadlineSeconds or check clock skew", maxMissed)
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			c.recorder.Event(cj, corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
			return next, nil
		}
	case batchv1.ReplaceConcurrent:
		if err := c.replaceActive(ctx, cj); err != nil {
			return 0, err
		}
	}
	if err := c.startJob(ctx, cj, t, loc); err != nil {
		return 0, err
	}
	return next, nil
}

// replaceActive deletes every active Job (Replace policy).
func (c *Controller) replaceActive(ctx context.Context, cj *batchv1.CronJob) error {
	for len(cj.Status.Active) > 0 {
		ref := cj.Status.Active[0]
		if err := c.deleteJob(ctx, cj, ref.Namespace, ref.Name); err != nil {
			return err
		}
		cj.Status.Active = cj.Status.Active[1:]
	}
	return nil
}

func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, ns, name string) error {
	bg := metav1.DeletePropagationBackground
	err := c.client.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return fmt.Errorf("delete job %s/%s: %w", ns, name, err)
	}
	if err == nil {
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", name)
	}
	return nil
}

// startJob creates the Job for schedule time t and records it as active.
func (c *Controller) startJob(ctx context.Context, cj *batchv1.CronJob, t time.Time, loc *time.Location) error {
	tmpl := cj.Spec.JobTemplate.DeepCopy()
	annotations := maps.Clone(tmpl.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[batchv1.CronJobScheduledTimestampAnnotation] = t.In(loc).Format(time.RFC3339)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            jobName(cj, t),
			Namespace:       cj.Namespace,
			Labels:          tmpl.Labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))},
		},
		Spec: tmpl.Spec,
	}
	created, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, job, metav1.CreateOptions{})
	fresh := err == nil
	if apierrors.IsAlreadyExists(err) {
		existing, getErr := c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if getErr != nil {
			return fmt.Errorf("get existing job %s/%s: %w", cj.Namespace, job.Name, getErr)
		}
		if !metav1.IsControlledBy(existing, cj) {
			return nil // someone else's Job has the name; nothing to start
		}
		created, err = existing, nil
	}
	if err != nil {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return fmt.Errorf("create job %s/%s: %w", cj.Namespace, job.Name, err)
	}
	if fresh {
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.Name)
	}
	if finishedAs(created) == "" {
		cj.Status.Active = append(cj.Status.Active, jobRef(created))
	}
	cj.Status.LastScheduleTime = &metav1.Time{Time: t}
	return nil
}

// cleanHistory deletes finished Jobs beyond the history limits.
func (c *Controller) cleanHistory(ctx context.Context, cj *batchv1.CronJob, children []*batchv1.Job) error {
	var errs []error
	for _, j := range historyToDelete(children, cj.Spec.SuccessfulJobsHistoryLimit, cj.Spec.FailedJobsHistoryLimit) {
		if err := c.deleteJob(ctx, cj, j.Namespace, j.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func ptrValue(b *bool) bool { return b != nil && *b }
