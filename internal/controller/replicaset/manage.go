package replicaset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// SlowStartInitialBatchSize is the size of the first creation batch.
const SlowStartInitialBatchSize = 1

// SlowStartBatch calls fn n times in batches of initial, 2*initial, 4*initial…
// (each batch concurrently), stopping after the first batch with an error so
// that a failing API (quota, admission) is not hammered. It returns how many
// calls succeeded and the first error.
func SlowStartBatch(n, initial int, fn func() error) (int, error) {
	remaining, successes := n, 0
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		errs := make(chan error, batch)
		var wg sync.WaitGroup
		for range batch {
			wg.Go(func() {
				if err := fn(); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		successes += batch - len(errs)
		if len(errs) > 0 {
			return successes, <-errs
		}
		remaining -= batch
	}
	return successes, nil
}

// PodFromTemplate is the pod a set creates: the template's metadata and
// spec, generateName "<set>-", and the set as controller owner.
func PodFromTemplate(rs *appsv1.ReplicaSet, gvk schema.GroupVersionKind) *corev1.Pod {
	t := &rs.Spec.Template
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          maps.Clone(t.Labels),
			Annotations:     maps.Clone(t.Annotations),
			Finalizers:      slices.Clone(t.Finalizers),
			OwnerReferences: []metav1.OwnerReference{ControllerRef(rs, gvk)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
}

// claim returns the active pods rs owns after adopting matching orphans and
// releasing owned pods that stopped matching.
func (c *Controller) claim(ctx context.Context, rs *appsv1.ReplicaSet, sel labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	var owned []*corev1.Pod
	var errs []error
	var adoptable error
	checked := false
	for _, p := range pods {
		switch DecideClaim(rs, sel, p) {
		case ClaimKeep:
			owned = append(owned, p)
		case ClaimAdopt:
			if !checked {
				adoptable, checked = c.canAdopt(ctx, rs), true
			}
			if adoptable != nil {
				errs = append(errs, adoptable)
				continue
			}
			patch, err := AdoptPatch(rs, c.w.gvk(), p)
			if err == nil {
				p, err = c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			}
			switch {
			case err == nil:
				owned = append(owned, p)
			case !apierrors.IsNotFound(err):
				errs = append(errs, fmt.Errorf("adopt pod %s: %w", p.Name, err))
			}
		case ClaimRelease:
			patch, err := ReleasePatch(rs, p)
			if err == nil {
				_, err = c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			}
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
				errs = append(errs, fmt.Errorf("release pod %s: %w", p.Name, err))
			}
		}
	}
	return owned, errors.Join(errs...)
}

// canAdopt re-reads rs from the API: a set deleted or recreated since the
// cache saw it must not adopt.
func (c *Controller) canAdopt(ctx context.Context, rs *appsv1.ReplicaSet) error {
	fresh, err := c.w.getLive(ctx, rs.Namespace, rs.Name)
	if err != nil {
		return err
	}
	if fresh.UID != rs.UID {
		return fmt.Errorf("original %s %s is gone: got uid %s, wanted %s", c.w.gvk().Kind, keyOf(rs), fresh.UID, rs.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("%s %s has just been deleted at %v", c.w.gvk().Kind, keyOf(rs), fresh.DeletionTimestamp)
	}
	return nil
}

// manage creates or deletes pods so that owned reaches spec.replicas, at
// most c.burst per call, and records what it expects to observe.
func (c *Controller) manage(ctx context.Context, key string, rs *appsv1.ReplicaSet, owned []*corev1.Pod) error {
	diff := len(owned) - int(replicasOf(rs))
	switch {
	case diff < 0:
		n := min(-diff, c.burst)
		c.exp.ExpectCreations(key, n)
		ok, err := SlowStartBatch(n, SlowStartInitialBatchSize, func() error { return c.createPod(ctx, rs) })
		for range n - ok {
			c.exp.CreationObserved(key)
		}
		return err
	case diff > 0:
		victims := PodsToDelete(owned, c.relatedPods(rs, owned), min(diff, c.burst), c.clock.Now())
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = keyOf(p)
		}
		c.exp.ExpectDeletions(key, keys)
		return c.deletePods(ctx, key, rs, victims)
	}
	return nil
}

// relatedPods are the active pods of rs and of its siblings (sets with the
// same controller, e.g. the ReplicaSets of one Deployment): scale down
// prefers nodes crowded with pods of the whole workload, as upstream.
func (c *Controller) relatedPods(rs *appsv1.ReplicaSet, owned []*corev1.Pod) []*corev1.Pod {
	owner := metav1.GetControllerOfNoCopy(rs)
	if owner == nil {
		return owned
	}
	sets, err := c.w.list(rs.Namespace)
	if err != nil {
		return owned
	}
	siblings := map[types.UID]bool{}
	for _, s := range sets {
		if ref := metav1.GetControllerOfNoCopy(s); ref != nil && ref.UID == owner.UID {
			siblings[s.UID] = true
		}
	}
	pods, err := c.pods.Pods(rs.Namespace).List(labels.Everything())
	if err != nil {
		return owned
	}
	var related []*corev1.Pod
	for _, p := range pods {
		if ref := metav1.GetControllerOfNoCopy(p); ref != nil && siblings[ref.UID] && IsPodActive(p) {
			related = append(related, p)
		}
	}
	return related
}

func (c *Controller) createPod(ctx context.Context, rs *appsv1.ReplicaSet) error {
	if len(rs.Spec.Template.Labels) == 0 {
		return errors.New("unable to create pods, no labels")
	}
	pod, err := c.client.CoreV1().Pods(rs.Namespace).Create(ctx, PodFromTemplate(rs, c.w.gvk()), metav1.CreateOptions{})
	if err != nil {
		c.rec.Eventf(c.w.eventObject(rs), corev1.EventTypeWarning, ReasonFailedCreate, "Error creating: %v", err)
		return fmt.Errorf("create pod for %s: %w", keyOf(rs), err)
	}
	c.rec.Eventf(c.w.eventObject(rs), corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", pod.Name)
	return nil
}

func (c *Controller) deletePods(ctx context.Context, key string, rs *appsv1.ReplicaSet, victims []*corev1.Pod) error {
	errs := make(chan error, len(victims))
	var wg sync.WaitGroup
	for _, p := range victims {
		wg.Go(func() {
			err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
			if err == nil {
				c.rec.Eventf(c.w.eventObject(rs), corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", p.Name)
				return
			}
			c.exp.DeletionObserved(key, keyOf(p))
			if !apierrors.IsNotFound(err) {
				c.rec.Eventf(c.w.eventObject(rs), corev1.EventTypeWarning, ReasonFailedDelete, "Error deleting: %v", err)
				errs <- fmt.Errorf("delete pod %s: %w", keyOf(p), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// writeStatus writes st when it differs from rs.Status, retrying once
// against a fresh copy on conflict, and returns the set as it now is.
func (c *Controller) writeStatus(ctx context.Context, rs *appsv1.ReplicaSet, st appsv1.ReplicaSetStatus) (*appsv1.ReplicaSet, error) {
	if equality.Semantic.DeepEqual(rs.Status, st) {
		return rs, nil
	}
	next := rs.DeepCopy()
	for attempt := 0; ; attempt++ {
		next.Status = st
		out, err := c.w.updateStatus(ctx, next)
		if err == nil || attempt == 1 || !apierrors.IsConflict(err) {
			return out, err
		}
		if next, err = c.w.getLive(ctx, rs.Namespace, rs.Name); err != nil {
			return nil, err
		}
		if next.UID != rs.UID {
			return nil, fmt.Errorf("%s was recreated during status update", keyOf(rs))
		}
	}
}
