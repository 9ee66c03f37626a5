package daemonset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/controller/history"
)

// defaultHistoryLimit is revisionHistoryLimit when unset.
const defaultHistoryLimit = 10

// sync converges one DaemonSet: claim its pods and revisions, make sure the
// current template has a revision, create and delete pods per node and per
// the update strategy, prune history and write status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := splitKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.dsLister.DaemonSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Forget(key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get daemonset %s: %w", key, err)
	}
	ds := cached.DeepCopy()
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		c.recorder.Event(ds, corev1.EventTypeWarning, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.")
		return nil
	}
	pods, err := c.claimPods(ctx, ds, sel)
	if err != nil {
		return err
	}
	revs, err := c.history.Owned(ctx, ds, controllerKind(), sel, c.fresh(ds))
	if err != nil {
		return err
	}
	if ds.DeletionTimestamp != nil {
		return nil
	}
	cur, cc, err := c.currentRevision(ctx, ds, revs)
	if err != nil {
		return err
	}
	hash := cur.Labels[revisionLabel]
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	tmpl := ds.Spec.Template.DeepCopy()
	addDaemonTolerations(&tmpl.Spec)
	vs, lost := views(nodes, &tmpl.Spec, pods)
	var errs []error
	if c.expect.Satisfied(key) {
		p, err := c.decide(ds, vs, lost, hash)
		if err != nil {
			c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedUpdate", "Invalid rolling update parameters: %v", err)
		}
		errs = append(errs, c.apply(ctx, key, ds, c.throttleFailed(key, p), hash))
	}
	errs = append(errs, c.pruneHistory(ctx, ds, revs, cur, pods))
	errs = append(errs, c.writeStatus(ctx, key, ds, vs, hash, cc))
	return errors.Join(errs...)
}

// decide merges the per-node plan with one rolling-update step.
func (c *Controller) decide(ds *appsv1.DaemonSet, vs []nodeView, lost []*corev1.Pod, hash string) (plan, error) {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	isRolling := ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType || ds.Spec.UpdateStrategy.Type == ""
	desired := 0
	for _, v := range vs {
		if v.Fit.ShouldRun {
			desired++
		}
	}
	surge, unavailable, err := budgets(ru, desired)
	if err != nil || !isRolling {
		return manage(vs, lost, false, hash), err
	}
	p := manage(vs, lost, surge > 0, hash)
	step := rollout{Hash: hash, MaxSurge: surge, MaxUnavailable: unavailable,
		MinReady: time.Duration(ds.Spec.MinReadySeconds) * time.Second, Now: c.clock.Now()}.Step(vs)
	seen := make(map[types.UID]bool)
	for _, d := range p.Delete {
		seen[d.UID] = true
	}
	for _, d := range step.Delete {
		if !seen[d.UID] {
			p.Delete = append(p.Delete, d)
		}
	}
	p.Create = append(p.Create, step.Create...)
	return p, nil
}

// throttleFailed keeps failed daemon pods whose node is in backoff out of
// the plan (a pod that keeps failing is replaced at 1s, 2s, 4s … up to
// 15m, as upstream) and requeues the DaemonSet for when backoff ends.
func (c *Controller) throttleFailed(key string, p plan) plan {
	if len(p.Failed) == 0 {
		return p
	}
	now := c.clock.Now()
	c.failedBackoff.GC()
	held := make(map[types.UID]bool)
	var failed []*corev1.Pod
	for _, pod := range p.Failed {
		id := key + "/" + targetNode(pod)
		if c.failedBackoff.IsInBackOffSinceUpdate(id, now) {
			held[pod.UID] = true
			c.queue.AddAfter(key, c.failedBackoff.Get(id))
			continue
		}
		c.failedBackoff.Next(id, now)
		failed = append(failed, pod)
	}
	p.Failed = failed
	p.Delete = slices.DeleteFunc(slices.Clone(p.Delete), func(d *corev1.Pod) bool { return held[d.UID] })
	return p
}

// currentRevision finds or creates the revision of the current template
// and returns it with the collision count used.
func (c *Controller) currentRevision(ctx context.Context, ds *appsv1.DaemonSet, revs []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, *int32, error) {
	data, err := history.Patch(&ds.Spec.Template)
	if err != nil {
		return nil, nil, err
	}
	cur, cc, err := c.history.Ensure(ctx, ds, controllerKind(), ds.Spec.Template.Labels, data, revs, ds.Status.CollisionCount, revisionLabel)
	if err != nil {
		return nil, cc, err
	}
	if cur.Labels[revisionLabel] == "" {
		return nil, cc, fmt.Errorf("controller revision %s/%s has no %s label", cur.Namespace, cur.Name, revisionLabel)
	}
	return cur, cc, nil
}

// apply performs a plan, raising expectations first so the next sync
// waits for the informer to show these writes.
func (c *Controller) apply(ctx context.Context, key string, ds *appsv1.DaemonSet, p plan, hash string) error {
	uids := make([]types.UID, 0, len(p.Delete))
	for _, d := range p.Delete {
		uids = append(uids, d.UID)
	}
	c.expect.Expect(key, len(p.Create), uids)
	var errs []error
	for _, node := range p.Create {
		pod := newPod(ds, node, hash)
		got, err := c.client.CoreV1().Pods(ds.Namespace).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			c.expect.Created(key)
			c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
			errs = append(errs, fmt.Errorf("create daemon pod on node %s: %w", node, err))
			continue
		}
		c.recorder.Eventf(ds, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", got.Name)
	}
	failed := make(map[types.UID]bool)
	for _, f := range p.Failed {
		failed[f.UID] = true
	}
	for _, pod := range p.Delete {
		if failed[pod.UID] {
			c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", pod.Namespace, pod.Name, targetNode(pod))
		}
		err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			c.expect.Deleted(key, pod.UID)
			c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
			errs = append(errs, fmt.Errorf("delete daemon pod %s/%s: %w", pod.Namespace, pod.Name, err))
			continue
		}
		if err != nil {
			c.expect.Deleted(key, pod.UID)
			continue
		}
		c.recorder.Eventf(ds, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", pod.Name)
	}
	return errors.Join(errs...)
}

// newPod is the daemon pod of ds for node at template hash.
func newPod(ds *appsv1.DaemonSet, node, hash string) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    ds.Name + "-",
			Namespace:       ds.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind())},
		},
		Spec: t.Spec,
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[revisionLabel] = hash
	pod.Labels[templateGenerationLabel] = strconv.FormatInt(ds.Generation, 10)
	addDaemonTolerations(&pod.Spec)
	pod.Spec.Affinity = nodeNameAffinity(pod.Spec.Affinity, node)
	return pod
}

// pruneHistory deletes the oldest revisions no pod uses beyond
// revisionHistoryLimit.
func (c *Controller) pruneHistory(ctx context.Context, ds *appsv1.DaemonSet, revs []*appsv1.ControllerRevision, cur *appsv1.ControllerRevision, pods []*corev1.Pod) error {
	limit := defaultHistoryLimit
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = int(*ds.Spec.RevisionHistoryLimit)
	}
	inUse := make(map[string]bool)
	for _, p := range pods {
		if h := p.Labels[revisionLabel]; h != "" {
			inUse[h] = true
		}
	}
	live := map[string]bool{cur.Name: true}
	for _, r := range revs {
		if inUse[r.Labels[revisionLabel]] {
			live[r.Name] = true
		}
	}
	sorted := append([]*appsv1.ControllerRevision(nil), revs...)
	history.Sort(sorted)
	var errs []error
	for _, r := range history.Prunable(sorted, live, limit) {
		errs = append(errs, c.history.Delete(ctx, r))
	}
	return errors.Join(errs...)
}

// writeStatus updates the status when it changed, and requeues while pods
// wait out minReadySeconds.
func (c *Controller) writeStatus(ctx context.Context, key string, ds *appsv1.DaemonSet, vs []nodeView, hash string, cc *int32) error {
	minReady := time.Duration(ds.Spec.MinReadySeconds) * time.Second
	st := status(vs, hash, minReady, c.clock.Now())
	st.ObservedGeneration = ds.Generation
	st.CollisionCount = cc
	st.Conditions = ds.Status.Conditions
	if minReady > 0 && st.NumberReady > st.NumberAvailable {
		c.requeueAfter(key, minReady)
	}
	if equality.Semantic.DeepEqual(st, ds.Status) {
		return nil
	}
	next := ds.DeepCopy()
	for attempt := 0; ; attempt++ {
		next.Status = st
		_, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) || attempt == 2 {
			if err != nil {
				return fmt.Errorf("update status of daemonset %s: %w", key, err)
			}
			return nil
		}
		// our cache is behind our own last status write: retry on a live read.
		if next, err = c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("get daemonset %s: %w", key, err)
		}
		if next.UID != ds.UID || next.Generation != ds.Generation {
			return nil // the spec changed: the next sync recomputes.
		}
		st.Conditions = next.Status.Conditions
	}
}
