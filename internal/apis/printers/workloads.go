package printers

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

func deploymentCells(d *appsv1.Deployment, now time.Time) []interface{} {
	selector := "<invalid>"
	if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
		selector = s.String()
	}
	names, images := containerCells(d.Spec.Template.Spec.Containers)
	return []interface{}{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, deref32(d.Spec.Replicas)),
		int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), age(d.CreationTimestamp, now),
		names, images, selector}
}

func replicaSetCells(rs *appsv1.ReplicaSet, now time.Time) []interface{} {
	names, images := containerCells(rs.Spec.Template.Spec.Containers)
	return []interface{}{rs.Name, int64(deref32(rs.Spec.Replicas)), int64(rs.Status.Replicas),
		int64(rs.Status.ReadyReplicas), age(rs.CreationTimestamp, now),
		names, images, formatLabelSelector(rs.Spec.Selector)}
}

func statefulSetCells(ss *appsv1.StatefulSet, now time.Time) []interface{} {
	names, images := containerCells(ss.Spec.Template.Spec.Containers)
	return []interface{}{ss.Name, fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, deref32(ss.Spec.Replicas)),
		age(ss.CreationTimestamp, now), names, images}
}

func daemonSetCells(ds *appsv1.DaemonSet, now time.Time) []interface{} {
	st := ds.Status
	names, images := containerCells(ds.Spec.Template.Spec.Containers)
	return []interface{}{ds.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled),
		int64(st.NumberReady), int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable),
		formatLabels(ds.Spec.Template.Spec.NodeSelector), age(ds.CreationTimestamp, now),
		names, images, formatLabelSelector(ds.Spec.Selector)}
}

// controllerRevisionCells names the controller as kind.group/name in lower case.
func controllerRevisionCells(cr *appsv1.ControllerRevision, now time.Time) ([]interface{}, error) {
	controller := none
	if ref := metav1.GetControllerOf(cr); ref != nil {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return nil, fmt.Errorf("controller revision %s/%s owner apiVersion: %w", cr.Namespace, cr.Name, err)
		}
		controller = ref.Name
		if gk := gv.WithKind(ref.Kind).GroupKind(); !gk.Empty() {
			controller = strings.ToLower(gk.String()) + "/" + ref.Name
		}
	}
	return []interface{}{cr.Name, controller, cr.Revision, age(cr.CreationTimestamp, now)}, nil
}

// jobCells prints the v1.33 job columns: STATUS COMPLETIONS DURATION AGE.
func jobCells(job *batchv1.Job, now time.Time) []interface{} {
	var completions string
	switch {
	case job.Spec.Completions != nil:
		completions = fmt.Sprintf("%d/%d", job.Status.Succeeded, *job.Spec.Completions)
	case deref32(job.Spec.Parallelism) > 1:
		completions = fmt.Sprintf("%d/1 of %d", job.Status.Succeeded, *job.Spec.Parallelism)
	default:
		completions = fmt.Sprintf("%d/1", job.Status.Succeeded)
	}
	var took string
	switch {
	case job.Status.StartTime == nil:
	case job.Status.CompletionTime == nil:
		took = duration.HumanDuration(now.Sub(job.Status.StartTime.Time))
	default:
		took = duration.HumanDuration(job.Status.CompletionTime.Sub(job.Status.StartTime.Time))
	}
	names, images := containerCells(job.Spec.Template.Spec.Containers)
	return []interface{}{job.Name, jobStatus(job), completions, took, age(job.CreationTimestamp, now),
		names, images, formatLabelSelector(job.Spec.Selector)}
}

// jobStatus follows upstream v1.33's precedence. (SuccessCriteriaMet is only
// shown from v1.34 on.)
func jobStatus(job *batchv1.Job) string {
	switch {
	case jobCondition(job, batchv1.JobComplete):
		return "Complete"
	case jobCondition(job, batchv1.JobFailed):
		return "Failed"
	case job.DeletionTimestamp != nil:
		return "Terminating"
	case jobCondition(job, batchv1.JobSuspended):
		return "Suspended"
	case jobCondition(job, batchv1.JobFailureTarget):
		return "FailureTarget"
	}
	return "Running"
}

// jobCondition reports whether the first condition of type t is true.
func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func cronJobCells(cj *batchv1.CronJob, now time.Time) []interface{} {
	last := none
	if cj.Status.LastScheduleTime != nil {
		last = age(*cj.Status.LastScheduleTime, now)
	}
	spec := cj.Spec.JobTemplate.Spec
	names, images := containerCells(spec.Template.Spec.Containers)
	return []interface{}{cj.Name, cj.Spec.Schedule, strPtrOr(cj.Spec.TimeZone, none), boolPtrString(cj.Spec.Suspend),
		int64(len(cj.Status.Active)), last, age(cj.CreationTimestamp, now),
		names, images, formatLabelSelector(spec.Selector)}
}

func pdbCells(pdb *policyv1.PodDisruptionBudget, now time.Time) []interface{} {
	minAvailable, maxUnavailable := "N/A", "N/A"
	if pdb.Spec.MinAvailable != nil {
		minAvailable = pdb.Spec.MinAvailable.String()
	}
	if pdb.Spec.MaxUnavailable != nil {
		maxUnavailable = pdb.Spec.MaxUnavailable.String()
	}
	return []interface{}{pdb.Name, minAvailable, maxUnavailable, int64(pdb.Status.DisruptionsAllowed),
		age(pdb.CreationTimestamp, now)}
}
