package job

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

const completionIndexEnv = "JOB_COMPLETION_INDEX"

// newPod builds a pod of job from its template; index is nil for NonIndexed
// Jobs. Indexed pods carry the completion index as annotation and label,
// the hostname <job>-<index> and the JOB_COMPLETION_INDEX variable.
func newPod(job *batchv1.Job, index *int) *corev1.Pod {
	tmpl := job.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    job.Name + "-",
			Namespace:       job.Namespace,
			Labels:          tmpl.Labels,
			Annotations:     tmpl.Annotations,
			Finalizers:      append(tmpl.Finalizers, trackingFinalizer),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(job, batchv1.SchemeGroupVersion.WithKind("Job"))},
		},
		Spec: tmpl.Spec,
	}
	if index == nil {
		return pod
	}
	v := strconv.Itoa(*index)
	pod.GenerateName = job.Name + "-" + v + "-"
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Labels[completionIndexKey] = v
	pod.Annotations[completionIndexKey] = v
	if pod.Spec.Hostname == "" {
		pod.Spec.Hostname = job.Name + "-" + v
	}
	env := corev1.EnvVar{Name: completionIndexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		FieldPath: fmt.Sprintf("metadata.annotations['%s']", completionIndexKey)}}}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if !slices.ContainsFunc(list[i].Env, func(e corev1.EnvVar) bool { return e.Name == completionIndexEnv }) {
				list[i].Env = append(list[i].Env, env)
			}
		}
	}
	return pod
}

// createPods creates the pods in slow-start batches (1, 2, 4, …), stopping
// at the first failed batch; every create not made lowers the expectation.
func (c *Controller) createPods(ctx context.Context, key string, job *batchv1.Job, pods []*corev1.Pod) error {
	c.expect.expect(key, len(pods), nil, c.clock.Now())
	for done, batch := 0, 1; done < len(pods); batch *= 2 {
		n := min(batch, len(pods)-done)
		errs := make(chan error, n)
		for _, p := range pods[done : done+n] {
			go func() { errs <- c.createPod(ctx, key, job, p) }()
		}
		var firstErr error
		for range n {
			if err := <-errs; err != nil && firstErr == nil {
				firstErr = err
			}
		}
		done += n
		if firstErr != nil {
			for range len(pods) - done {
				c.expect.created(key)
			}
			return firstErr
		}
	}
	return nil
}

func (c *Controller) createPod(ctx context.Context, key string, job *batchv1.Job, pod *corev1.Pod) error {
	out, err := c.client.CoreV1().Pods(job.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		c.expect.created(key)
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil // the namespace is going away with the Job
		}
		c.recorder.Eventf(job, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod for job %s: %w", key, err)
	}
	c.recorder.Eventf(job, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", out.Name)
	return nil
}

// deletePods deletes the pods, recording events as upstream.
func (c *Controller) deletePods(ctx context.Context, key string, job *batchv1.Job, pods []*corev1.Pod) error {
	uids := make([]types.UID, len(pods))
	for i, p := range pods {
		uids[i] = p.UID
	}
	c.expect.expect(key, 0, uids, c.clock.Now())
	var firstErr error
	for _, p := range pods {
		err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
		switch {
		case err == nil:
			c.recorder.Eventf(job, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", p.Name)
		case apierrors.IsNotFound(err):
			c.expect.deleted(key, p.UID)
		default:
			c.expect.deleted(key, p.UID)
			c.recorder.Eventf(job, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
			if firstErr == nil {
				firstErr = fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
	}
	return firstErr
}

// releaseFinalizers removes the tracking finalizer from the pods and
// returns those now without it (including pods already gone).
func (c *Controller) releaseFinalizers(ctx context.Context, key string, pods []*corev1.Pod) ([]types.UID, error) {
	var done []types.UID
	var firstErr error
	for _, p := range pods {
		i := slices.Index(p.Finalizers, trackingFinalizer)
		if i < 0 {
			done = append(done, p.UID)
			continue
		}
		patch, _ := json.Marshal([]map[string]any{
			{"op": "test", "path": fmt.Sprintf("/metadata/finalizers/%d", i), "value": trackingFinalizer},
			{"op": "remove", "path": fmt.Sprintf("/metadata/finalizers/%d", i)},
		})
		_, err := c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.JSONPatchType, patch, metav1.PatchOptions{})
		if apierrors.IsInvalid(err) || apierrors.IsConflict(err) {
			err = c.confirmReleased(ctx, p) // the cached finalizer list was stale
		}
		if err != nil && !apierrors.IsNotFound(err) {
			if firstErr == nil {
				firstErr = fmt.Errorf("remove tracking finalizer of pod %s/%s: %w", p.Namespace, p.Name, err)
			}
			continue
		}
		c.expect.finalizerRemoved(key, p.UID)
		done = append(done, p.UID)
	}
	return done, firstErr
}

// confirmReleased reads pod live and returns nil when it no longer holds
// the tracking finalizer; otherwise an error so the sync is retried.
func (c *Controller) confirmReleased(ctx context.Context, pod *corev1.Pod) error {
	live, err := c.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	switch {
	case err != nil:
		return err
	case live.UID != pod.UID || !hasFinalizer(live):
		return nil
	}
	return fmt.Errorf("pod %s/%s changed while removing its tracking finalizer", pod.Namespace, pod.Name)
}

// claimPods returns the pods job controls after adopting orphans matching
// its selector and releasing owned pods that no longer match, as upstream's
// ControllerRefManager does.
func (c *Controller) claimPods(ctx context.Context, job *batchv1.Job) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("job %s/%s selector: %w", job.Namespace, job.Name, err)
	}
	all, err := c.pods.Pods(job.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list pods of job %s/%s: %w", job.Namespace, job.Name, err)
	}
	var owned []*corev1.Pod
	fresh := false
	for _, p := range all {
		ref := metav1.GetControllerOf(p)
		matches := !sel.Empty() && sel.Matches(labels.Set(p.Labels))
		switch {
		case ref != nil && ref.UID == job.UID && (matches || job.DeletionTimestamp != nil):
			owned = append(owned, p)
		case ref != nil && ref.UID == job.UID:
			if err := c.patchOwner(ctx, p, job, false); err != nil {
				return nil, err
			}
		case ref == nil && matches && job.DeletionTimestamp == nil && p.DeletionTimestamp == nil:
			if !fresh {
				if err := c.recheckJob(ctx, job); err != nil {
					return nil, err
				}
				fresh = true
			}
			if err := c.patchOwner(ctx, p, job, true); err != nil {
				return nil, err
			}
			owned = append(owned, p)
		}
	}
	return owned, nil
}

// recheckJob confirms against the API that job still exists with the same
// UID and is not being deleted before adopting anything.
func (c *Controller) recheckJob(ctx context.Context, job *batchv1.Job) error {
	live, err := c.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("recheck job %s/%s before adoption: %w", job.Namespace, job.Name, err)
	}
	if live.UID != job.UID || live.DeletionTimestamp != nil {
		return fmt.Errorf("job %s/%s changed identity or is being deleted; not adopting", job.Namespace, job.Name)
	}
	return nil
}

// patchOwner adopts (adopt true) or releases pod with a strategic merge
// patch guarded by the pod's UID.
func (c *Controller) patchOwner(ctx context.Context, pod *corev1.Pod, job *batchv1.Job, adopt bool) error {
	var ref any
	if adopt {
		ref = metav1.NewControllerRef(job, batchv1.SchemeGroupVersion.WithKind("Job"))
	} else {
		ref = map[string]any{"$patch": "delete", "uid": job.UID}
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": []any{ref}, "uid": pod.UID}})
	_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patch owner of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// orphanedPods lists the pods in namespace that still carry the tracking
// finalizer while controlled by a Job named name that no longer exists (or
// has another UID than live).
func (c *Controller) orphanedPods(namespace, name string, live types.UID) ([]*corev1.Pod, error) {
	all, err := c.pods.Pods(namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list pods in %s: %w", namespace, err)
	}
	var out []*corev1.Pod
	for _, p := range all {
		ref := metav1.GetControllerOf(p)
		if ref != nil && ref.Kind == "Job" && ref.Name == name && ref.UID != live && hasFinalizer(p) {
			out = append(out, p)
		}
	}
	return out, nil
}
