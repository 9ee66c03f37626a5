package deployment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/controller/replicaset"
)

var deploymentGVK = appsv1.SchemeGroupVersion.WithKind("Deployment")

// sync converges one Deployment. d and the ReplicaSets below are private
// copies, so the rollout functions may update them in place.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.deployments.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get deployment %s: %w", key, err)
	}
	d := cached.DeepCopy()
	if d.Spec.Selector == nil || equality.Semantic.DeepEqual(d.Spec.Selector, &metav1.LabelSelector{}) {
		c.rec.Eventf(d, corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			return c.updateStatus(ctx, d)
		}
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		c.log.Info("invalid selector, not syncing", "deployment", key, "err", err)
		return nil
	}
	rsList, err := c.claimReplicaSets(ctx, d, sel)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		return c.syncScale(ctx, d, rsList, false)
	}
	if err := c.checkPausedConditions(ctx, d); err != nil {
		return err
	}
	if d.Spec.Paused {
		return c.syncScale(ctx, d, rsList, true)
	}
	scaling, err := c.isScalingEvent(ctx, d, rsList)
	if err != nil {
		return err
	}
	if scaling {
		return c.syncScale(ctx, d, rsList, true)
	}
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		return c.rolloutRecreate(ctx, d, rsList, sel)
	case appsv1.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(ctx, d, rsList)
	}
	return nil
}

func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment) error {
	out, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status of deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	*d = *out
	return nil
}

// claimReplicaSets returns copies of the ReplicaSets d controls, adopting
// matching orphans and releasing ones that stopped matching.
func (c *Controller) claimReplicaSets(ctx context.Context, d *appsv1.Deployment, sel labels.Selector) ([]*appsv1.ReplicaSet, error) {
	all, err := c.rss.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list replicasets: %w", err)
	}
	var owned []*appsv1.ReplicaSet
	var errs []error
	var adoptable error
	checked := false
	api := c.client.AppsV1().ReplicaSets(d.Namespace)
	for _, rs := range all {
		switch replicaset.DecideClaim(d, sel, rs) {
		case replicaset.ClaimKeep:
			owned = append(owned, rs.DeepCopy())
		case replicaset.ClaimAdopt:
			if !checked {
				adoptable, checked = c.canAdopt(ctx, d), true
			}
			if adoptable != nil {
				errs = append(errs, adoptable)
				continue
			}
			patch, err := replicaset.AdoptPatch(d, deploymentGVK, rs)
			var out *appsv1.ReplicaSet
			if err == nil {
				out, err = api.Patch(ctx, rs.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			}
			switch {
			case err == nil:
				owned = append(owned, out)
			case !apierrors.IsNotFound(err):
				errs = append(errs, fmt.Errorf("adopt replicaset %s: %w", rs.Name, err))
			}
		case replicaset.ClaimRelease:
			patch, err := replicaset.ReleasePatch(d, rs)
			if err == nil {
				_, err = api.Patch(ctx, rs.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			}
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
				errs = append(errs, fmt.Errorf("release replicaset %s: %w", rs.Name, err))
			}
		}
	}
	return owned, errors.Join(errs...)
}

func (c *Controller) canAdopt(ctx context.Context, d *appsv1.Deployment) error {
	fresh, err := c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	if fresh.UID != d.UID {
		return fmt.Errorf("original Deployment %s/%s is gone: got uid %s, wanted %s", d.Namespace, d.Name, fresh.UID, d.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("deployment %s/%s has just been deleted at %v", d.Namespace, d.Name, fresh.DeletionTimestamp)
	}
	return nil
}

// scaler returns the ScaleFunc that writes a ReplicaSet's size (with d's
// replicas annotations) and records the upstream ScalingReplicaSet event.
func (c *Controller) scaler(ctx context.Context, d *appsv1.Deployment) ScaleFunc {
	return func(rs *appsv1.ReplicaSet, size int32) (bool, error) {
		from := replicas(rs)
		next := rs.DeepCopy()
		next.Spec.Replicas = &size
		annotated := SetReplicasAnnotations(next, desired(d), desired(d)+MaxSurge(d))
		if from == size && !annotated {
			return false, nil
		}
		out, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, next, metav1.UpdateOptions{})
		if err != nil {
			return false, fmt.Errorf("scale replicaset %s/%s to %d: %w", rs.Namespace, rs.Name, size, err)
		}
		*rs = *out
		if from == size {
			return false, nil
		}
		op := "up"
		if size < from {
			op = "down"
		}
		c.rec.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", op, rs.Name, from, size)
		return true, nil
	}
}

// splitReplicaSets finds the new ReplicaSet (the oldest whose template
// equals d's, ignoring the hash label) and the old ones.
func splitReplicaSets(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet) {
	sorted := append([]*appsv1.ReplicaSet(nil), rsList...)
	sort.Sort(byCreation(sorted))
	var newRS *appsv1.ReplicaSet
	var old []*appsv1.ReplicaSet
	for _, rs := range sorted {
		if newRS == nil && EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			newRS = rs
			continue
		}
		old = append(old, rs)
	}
	return newRS, old
}

// replicaSetsAndRevision returns the new and old ReplicaSets, creating the
// new one when create is set, and syncs the revision annotations.
func (c *Controller) replicaSetsAndRevision(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	existing, old := splitReplicaSets(d, rsList)
	newRevision := strconv.FormatInt(MaxRevision(old)+1, 10)
	if existing != nil {
		rs, err := c.syncExistingNewRS(ctx, d, existing, newRevision)
		return rs, old, err
	}
	if !create {
		return nil, old, nil
	}
	rs, err := c.createNewRS(ctx, d, old, newRevision)
	return rs, old, err
}

func (c *Controller) syncExistingNewRS(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision string) (*appsv1.ReplicaSet, error) {
	next := rs.DeepCopy()
	changed := SetNewReplicaSetAnnotations(d, next, newRevision, true)
	if changed || next.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		next.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		out, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, next, metav1.UpdateOptions{})
		if err != nil {
			return nil, fmt.Errorf("update replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
		}
		*rs = *out
		return rs, nil
	}
	if err := c.syncRevision(ctx, d, next.Annotations[RevisionAnnotation]); err != nil {
		return nil, err
	}
	if HasProgressDeadline(d) && Condition(&d.Status, appsv1.DeploymentProgressing) == nil {
		SetCondition(&d.Status, NewCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonFoundNewRS,
			fmt.Sprintf("Found new replica set %q", rs.Name), c.clock.Now()))
		if err := c.updateStatus(ctx, d); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// syncRevision sets d's revision annotation. Upstream writes it together
// with the status through the status subresource; Capstan's status
// subresource takes only .status, so it is a metadata merge patch here
// (metadata changes do not bump the generation).
func (c *Controller) syncRevision(ctx context.Context, d *appsv1.Deployment, revision string) error {
	if d.Annotations[RevisionAnnotation] == revision {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{RevisionAnnotation: revision}, "resourceVersion": d.ResourceVersion}})
	if err != nil {
		return fmt.Errorf("encode revision patch: %w", err)
	}
	out, err := c.client.AppsV1().Deployments(d.Namespace).Patch(ctx, d.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("set revision of deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	*d = *out
	return nil
}
