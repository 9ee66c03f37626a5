package cronjob

import (
	"cmp"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// finishedAs returns Complete or Failed for a finished Job, "" otherwise.
func finishedAs(j *batchv1.Job) batchv1.JobConditionType {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

// activeView is the CronJob's status.active reconciled with its Jobs.
type activeView struct {
	active     []corev1.ObjectReference
	completed  []*batchv1.Job           // listed as active, now finished
	unexpected []*batchv1.Job           // running, but not listed as active
	missing    []corev1.ObjectReference // listed, but not in the cache
}

// reconcileActive compares status.active with the Jobs the CronJob
// controls, as upstream: finished Jobs leave the list, running ones join it
// (UnexpectedJob), and listed Jobs absent from the cache are returned for a
// live check.
func reconcileActive(cj *batchv1.CronJob, children []*batchv1.Job) activeView {
	var v activeView
	listed := map[types.UID]bool{}
	for _, ref := range cj.Status.Active {
		listed[ref.UID] = true
	}
	present := map[types.UID]bool{}
	for _, j := range children {
		present[j.UID] = true
		done := finishedAs(j) != ""
		switch {
		case listed[j.UID] && done:
			v.completed = append(v.completed, j)
		case !listed[j.UID] && !done && j.DeletionTimestamp == nil:
			v.unexpected = append(v.unexpected, j)
			v.active = append(v.active, jobRef(j))
		}
	}
	for _, ref := range cj.Status.Active {
		switch {
		case !present[ref.UID]:
			v.missing = append(v.missing, ref)
		case !slices.ContainsFunc(v.completed, func(j *batchv1.Job) bool { return j.UID == ref.UID }):
			v.active = append(v.active, ref)
		}
	}
	return v
}

func jobRef(j *batchv1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: "Job", APIVersion: batchv1.SchemeGroupVersion.String(),
		Namespace: j.Namespace, Name: j.Name, UID: j.UID, ResourceVersion: j.ResourceVersion}
}

// historyToDelete picks the oldest finished Jobs beyond the successful and
// failed history limits (nil: keep all), ordered by start time.
func historyToDelete(children []*batchv1.Job, successLimit, failedLimit *int32) []*batchv1.Job {
	var ok, failed []*batchv1.Job
	for _, j := range children {
		if j.DeletionTimestamp != nil {
			continue
		}
		switch finishedAs(j) {
		case batchv1.JobComplete:
			ok = append(ok, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	return append(oldestBeyond(ok, successLimit), oldestBeyond(failed, failedLimit)...)
}

func oldestBeyond(jobs []*batchv1.Job, limit *int32) []*batchv1.Job {
	if limit == nil || len(jobs) <= int(*limit) {
		return nil
	}
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b *batchv1.Job) int {
		return cmp.Or(startOf(a).Compare(startOf(b)), cmp.Compare(a.Name, b.Name))
	})
	return sorted[:len(sorted)-int(*limit)]
}

func startOf(j *batchv1.Job) time.Time {
	if j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return j.CreationTimestamp.Time
}
