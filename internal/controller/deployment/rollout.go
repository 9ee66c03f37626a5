package deployment

import (
	"context"
	"errors"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/controller/replicaset"
)

// NewReplicaSet is the ReplicaSet d's current template rolls out through:
// named "<d>-<hash>", the hash added to its labels, selector and template
// labels, owned by d, with zero replicas (the caller sizes it).
func NewReplicaSet(d *appsv1.Deployment) *appsv1.ReplicaSet {
	hash := ComputeHash(&d.Spec.Template, d.Status.CollisionCount)
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Labels = maps.Clone(tmpl.Labels)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[HashLabel] = hash
	sel := d.Spec.Selector.DeepCopy()
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[HashLabel] = hash
	var zero int32
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace,
			Labels:          maps.Clone(tmpl.Labels),
			OwnerReferences: []metav1.OwnerReference{replicaset.ControllerRef(d, deploymentGVK)},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: *tmpl},
	}
}

// createNewRS creates the new ReplicaSet sized as the strategy allows. A
// name collision with a ReplicaSet of another template bumps
// status.collisionCount and fails, so the next sync uses a new hash.
func (c *Controller) createNewRS(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet, newRevision string) (*appsv1.ReplicaSet, error) {
	rs := NewReplicaSet(d)
	n := NewRSNewReplicas(d, append(append([]*appsv1.ReplicaSet(nil), old...), rs), rs)
	rs.Spec.Replicas = &n
	SetNewReplicaSetAnnotations(d, rs, newRevision, false)
	created, err := c.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	exists := false
	switch {
	case apierrors.IsAlreadyExists(err):
		cur, getErr := c.client.AppsV1().ReplicaSets(d.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
		if getErr != nil {
			return nil, fmt.Errorf("get existing replicaset %s: %w", rs.Name, getErr)
		}
		if ref := metav1.GetControllerOfNoCopy(cur); ref != nil && ref.UID == d.UID && EqualIgnoreHash(&d.Spec.Template, &cur.Spec.Template) {
			created, exists = cur, true
			break
		}
		var cc int32
		if d.Status.CollisionCount != nil {
			cc = *d.Status.CollisionCount
		}
		cc++
		d.Status.CollisionCount = &cc
		if uerr := c.updateStatus(ctx, d); uerr != nil {
			return nil, uerr
		}
		return nil, fmt.Errorf("replicaset name %s collides, collisionCount now %d: %w", rs.Name, cc, err)
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if HasProgressDeadline(d) {
			SetCondition(&d.Status, NewCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, ReasonFailedRSCreate, msg, c.clock.Now()))
			_ = c.updateStatus(ctx, d)
		}
		c.rec.Event(d, corev1.EventTypeWarning, ReasonFailedRSCreate, msg)
		return nil, fmt.Errorf("create replicaset %s: %w", rs.Name, err)
	}
	if !exists && n > 0 {
		c.rec.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", created.Name, n)
	}
	if err := c.syncRevision(ctx, d, newRevision); err != nil {
		return nil, err
	}
	if !exists && HasProgressDeadline(d) {
		SetCondition(&d.Status, NewCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", created.Name), c.clock.Now()))
		if err := c.updateStatus(ctx, d); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// checkPausedConditions records pausing and resuming in the Progressing
// condition (unless the rollout already timed out).
func (c *Controller) checkPausedConditions(ctx context.Context, d *appsv1.Deployment) error {
	if !HasProgressDeadline(d) {
		return nil
	}
	cur := Condition(&d.Status, appsv1.DeploymentProgressing)
	if cur != nil && cur.Reason == ReasonTimedOut {
		return nil
	}
	pausedSet := cur != nil && cur.Reason == ReasonPaused
	switch {
	case d.Spec.Paused && !pausedSet:
		SetCondition(&d.Status, NewCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ReasonPaused, "Deployment is paused", c.clock.Now()))
	case !d.Spec.Paused && pausedSet:
		SetCondition(&d.Status, NewCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ReasonResumed, "Deployment is resumed", c.clock.Now()))
	default:
		return nil
	}
	return c.updateStatus(ctx, d)
}

// isScalingEvent reports whether an active ReplicaSet was sized for another
// replica count than d's: d was scaled, not changed.
func (c *Controller) isScalingEvent(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (bool, error) {
	newRS, old, err := c.replicaSetsAndRevision(ctx, d, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range activeOf(append(old, newRS)) {
		if want, ok := intAnnotation(rs, DesiredReplicasAnnotation); ok && want != desired(d) {
			return true, nil
		}
	}
	return false, nil
}

// syncScale handles scaling, pausing and deletion: resize without rolling
// out, clean up history when paused, and write the status.
func (c *Controller) syncScale(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, scale bool) error {
	newRS, old, err := c.replicaSetsAndRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	if scale {
		if err := Scale(d, newRS, old, c.scaler(ctx, d)); err != nil {
			return err
		}
		if d.Spec.Paused {
			if err := c.cleanup(ctx, d, old); err != nil {
				return err
			}
		}
	}
	st := CalculateStatus(d, append(old, newRS), newRS, c.clock.Now())
	if equality.Semantic.DeepEqual(d.Status, st) {
		return nil
	}
	d.Status = st
	return c.updateStatus(ctx, d)
}

func (c *Controller) rolloutRolling(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, old, err := c.replicaSetsAndRevision(ctx, d, rsList, true)
	if err != nil {
		return err
	}
	all := append(append([]*appsv1.ReplicaSet(nil), old...), newRS)
	scale := c.scaler(ctx, d)
	if up, err := ReconcileNewReplicaSet(d, all, newRS, scale); err != nil || up {
		return c.finish(ctx, d, all, newRS, err)
	}
	if down, err := ReconcileOldReplicaSets(d, all, activeOf(old), newRS, scale); err != nil || down {
		return c.finish(ctx, d, all, newRS, err)
	}
	if Complete(d, &d.Status) {
		if err := c.cleanup(ctx, d, old); err != nil {
			return err
		}
	}
	return c.finish(ctx, d, all, newRS, nil)
}

func (c *Controller) rolloutRecreate(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, sel labels.Selector) error {
	newRS, old, err := c.replicaSetsAndRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	all := append(append([]*appsv1.ReplicaSet(nil), old...), newRS)
	scaledDown := false
	for _, rs := range activeOf(old) {
		down, err := c.scaler(ctx, d)(rs, 0)
		if err != nil {
			return c.finish(ctx, d, all, newRS, err)
		}
		scaledDown = scaledDown || down
	}
	if scaledDown {
		return c.finish(ctx, d, all, newRS, nil)
	}
	running, err := c.oldPodsRunning(d, newRS, old, sel)
	if err != nil || running {
		return c.finish(ctx, d, all, newRS, err)
	}
	if newRS == nil {
		if newRS, old, err = c.replicaSetsAndRevision(ctx, d, rsList, true); err != nil {
			return err
		}
		all = append(append([]*appsv1.ReplicaSet(nil), old...), newRS)
	}
	if _, err := c.scaler(ctx, d)(newRS, desired(d)); err != nil {
		return c.finish(ctx, d, all, newRS, err)
	}
	if Complete(d, &d.Status) {
		if err := c.cleanup(ctx, d, old); err != nil {
			return err
		}
	}
	return c.finish(ctx, d, all, newRS, nil)
}

// oldPodsRunning reports whether pods of old ReplicaSets still exist and
// are not terminal: Recreate waits for them before scaling up.
func (c *Controller) oldPodsRunning(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet, sel labels.Selector) (bool, error) {
	if statusSum(old, func(s *appsv1.ReplicaSetStatus) int32 { return s.Replicas }) > 0 {
		return true, nil
	}
	pods, err := c.pods.Pods(d.Namespace).List(sel)
	if err != nil {
		return false, fmt.Errorf("list pods: %w", err)
	}
	oldUIDs := map[types.UID]bool{}
	for _, rs := range old {
		oldUIDs[rs.UID] = true
	}
	for _, p := range pods {
		ref := metav1.GetControllerOfNoCopy(p)
		if ref == nil || !oldUIDs[ref.UID] || (newRS != nil && ref.UID == newRS.UID) {
			continue
		}
		if p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
			return true, nil
		}
	}
	return false, nil
}

// finish writes the rollout status (also after a failed step, which is
// then returned) and requeues d to notice a progress deadline.
func (c *Controller) finish(ctx context.Context, d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, stepErr error) error {
	now := c.clock.Now()
	st := RolloutStatus(d, all, newRS, now)
	if equality.Semantic.DeepEqual(d.Status, st) {
		key := d.Namespace + "/" + d.Name
		switch after := StuckRequeueAfter(d, &st, now); {
		case after == 0:
			c.queue.AddRateLimited(key)
		case after > 0:
			c.queue.AddAfter(key, after)
		}
		return stepErr
	}
	d.Status = st
	if err := c.updateStatus(ctx, d); err != nil {
		return errors.Join(stepErr, err)
	}
	return stepErr
}

// cleanup deletes old ReplicaSets beyond revisionHistoryLimit.
func (c *Controller) cleanup(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet) error {
	for _, rs := range HistoryToDelete(d, old) {
		err := c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
		}
	}
	return nil
}
