package statefulset

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/controller/history"
)

// defaultHistoryLimit is revisionHistoryLimit when unset.
const defaultHistoryLimit = 10

// revisions are the current and update revisions of one sync, with the
// templates pods are built from.
type revisions struct {
	current, update         *appsv1.ControllerRevision
	currentTmpl, updateTmpl *corev1.PodTemplateSpec
	collisionCount          *int32
}

// sync converges one StatefulSet: claim pods and revisions, settle the
// current and update revisions, execute one Plan, prune history and write
// status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.setLister.StatefulSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get statefulset %s: %w", key, err)
	}
	set := cached.DeepCopy()
	sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil || sel.Empty() {
		c.recorder.Event(set, corev1.EventTypeWarning, "InvalidSelector", "StatefulSet has an empty or invalid selector")
		return nil
	}
	pods, err := c.claimPods(ctx, set, sel)
	if err != nil {
		return err
	}
	owned, err := c.history.Owned(ctx, set, controllerKind(), sel, c.fresh(set))
	if err != nil {
		return err
	}
	if set.DeletionTimestamp != nil {
		return nil
	}
	revs, err := c.revisions(ctx, set, owned)
	if err != nil {
		return err
	}
	snap := Snapshot{Set: set, Pods: pods, CurrentRevision: revs.current.Name, UpdateRevision: revs.update.Name, Now: c.clock.Now()}
	errs := []error{c.execute(ctx, set, revs, Plan(snap))}
	for _, pod := range pods {
		if ord, ok := ordinalOf(set, pod); ok && inRange(set, ord) && pod.DeletionTimestamp == nil {
			errs = append(errs, c.ensureClaims(ctx, set, pod, ord, false))
		}
	}
	errs = append(errs, c.pruneHistory(ctx, set, owned, revs, pods))
	errs = append(errs, c.writeStatus(ctx, key, set, snap, revs.collisionCount))
	return errors.Join(errs...)
}

// claimPods returns the pods set controls, adopting matching orphans and
// releasing pods that stopped matching.
func (c *Controller) claimPods(ctx context.Context, set *appsv1.StatefulSet, sel labels.Selector) ([]*corev1.Pod, error) {
	all, err := c.podLister.Pods(set.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	cl := history.Claimer[*corev1.Pod]{Owner: set, Kind: controllerKind(), Selector: sel, Fresh: c.fresh(set),
		Patch: func(ctx context.Context, pod *corev1.Pod, p []byte) (*corev1.Pod, error) {
			return c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, p, metav1.PatchOptions{})
		}}
	return cl.Claim(ctx, all)
}

// revisions settles the update revision (the current template's, created
// or renumbered as needed) and the current one (named by status, else the
// update revision).
func (c *Controller) revisions(ctx context.Context, set *appsv1.StatefulSet, owned []*appsv1.ControllerRevision) (revisions, error) {
	data, err := history.Patch(&set.Spec.Template)
	if err != nil {
		return revisions{}, err
	}
	upd, cc, err := c.history.Ensure(ctx, set, controllerKind(), set.Spec.Template.Labels, data, owned, set.Status.CollisionCount)
	if err != nil {
		return revisions{}, err
	}
	r := revisions{update: upd, current: upd, updateTmpl: &set.Spec.Template, currentTmpl: &set.Spec.Template, collisionCount: cc}
	for _, rev := range owned {
		if rev.Name == set.Status.CurrentRevision && rev.Name != upd.Name {
			tmpl, err := history.Template(rev.Data.Raw)
			if err != nil {
				return revisions{}, fmt.Errorf("controller revision %s/%s: %w", rev.Namespace, rev.Name, err)
			}
			r.current, r.currentTmpl = rev, tmpl
		}
	}
	return r, nil
}

// execute carries out the steps of a plan in order.
func (c *Controller) execute(ctx context.Context, set *appsv1.StatefulSet, revs revisions, steps []Step) error {
	var errs []error
	for _, s := range steps {
		var err error
		switch s.Op {
		case OpCreate:
			err = c.createPod(ctx, set, revs, s)
		case OpRecreate:
			c.recorder.Eventf(set, corev1.EventTypeWarning, "RecreatingFailedPod", "StatefulSet %s/%s is recreating failed Pod %s", set.Namespace, set.Name, s.Pod.Name)
			err = c.deletePod(ctx, set, s.Pod)
		case OpDelete:
			if s.ScaleDown {
				if err = c.ensureClaims(ctx, set, s.Pod, s.Ordinal, true); err != nil {
					break
				}
			}
			err = c.deletePod(ctx, set, s.Pod)
		case OpRelabel:
			// only the labels can be repaired: hostname and subdomain are
			// immutable on a live pod, so its spec is sent back unchanged.
			next := s.Pod.DeepCopy()
			setIdentity(set, next, s.Ordinal)
			next.Spec = s.Pod.Spec
			_, err = c.client.CoreV1().Pods(next.Namespace).Update(ctx, next, metav1.UpdateOptions{})
			c.podEvent(set, "Update", next.Name, err)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) createPod(ctx context.Context, set *appsv1.StatefulSet, revs revisions, s Step) error {
	tmpl := revs.updateTmpl
	if s.Revision == revs.current.Name {
		tmpl = revs.currentTmpl
	}
	if err := c.ensureClaims(ctx, set, nil, s.Ordinal, false); err != nil {
		return err
	}
	pod := newPod(set, tmpl, s.Revision, s.Ordinal)
	_, err := c.client.CoreV1().Pods(set.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil // a stale cache; the informer will show the pod.
	}
	c.podEvent(set, "Create", pod.Name, err)
	if err != nil {
		return fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

func (c *Controller) deletePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	c.podEvent(set, "Delete", pod.Name, err)
	if err != nil {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// pruneHistory deletes the oldest revisions that are neither current,
// update, nor used by a pod, beyond revisionHistoryLimit.
func (c *Controller) pruneHistory(ctx context.Context, set *appsv1.StatefulSet, owned []*appsv1.ControllerRevision, revs revisions, pods []*corev1.Pod) error {
	limit := defaultHistoryLimit
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	live := map[string]bool{revs.current.Name: true, revs.update.Name: true}
	for _, p := range pods {
		live[p.Labels[revisionLabel]] = true
	}
	sorted := make([]*appsv1.ControllerRevision, 0, len(owned))
	for _, r := range owned {
		if r.Name != revs.update.Name {
			sorted = append(sorted, r)
		}
	}
	history.Sort(sorted)
	var errs []error
	for _, r := range history.Prunable(sorted, live, limit) {
		errs = append(errs, c.history.Delete(ctx, r))
	}
	return errors.Join(errs...)
}

// writeStatus updates the status when it changed, and requeues while pods
// wait out minReadySeconds.
func (c *Controller) writeStatus(ctx context.Context, key string, set *appsv1.StatefulSet, snap Snapshot, cc *int32) error {
	st := Status(snap)
	st.ObservedGeneration = set.Generation
	st.CollisionCount = cc
	st.Conditions = set.Status.Conditions
	if minReady := snap.minReady(); minReady > 0 && st.ReadyReplicas > st.AvailableReplicas {
		c.queue.AddAfter(key, minReady)
	}
	if equality.Semantic.DeepEqual(st, set.Status) {
		return nil
	}
	next := set.DeepCopy()
	for attempt := 0; ; attempt++ {
		next.Status = st
		_, err := c.client.AppsV1().StatefulSets(set.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) || attempt == 2 {
			if err != nil {
				return fmt.Errorf("update status of statefulset %s: %w", key, err)
			}
			return nil
		}
		// our cache is behind our own last status write: retry on a live read.
		if next, err = c.client.AppsV1().StatefulSets(set.Namespace).Get(ctx, set.Name, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("get statefulset %s: %w", key, err)
		}
		if next.UID != set.UID || next.Generation != set.Generation {
			return nil // the spec changed: the next sync recomputes.
		}
		st.Conditions = next.Status.Conditions
	}
}
