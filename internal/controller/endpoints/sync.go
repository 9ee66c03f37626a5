package endpoints

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/controller/endpointslice"
)

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.triggers.Forget(key)
		return c.deleteOrphan(ctx, ns, name)
	}
	if err != nil {
		return fmt.Errorf("get service %s: %w", key, err)
	}
	if svc.Spec.Selector == nil || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	pods, err := c.pods.Pods(ns).List(labels.SelectorFromValidatedSet(svc.Spec.Selector))
	if err != nil {
		return fmt.Errorf("list pods of %s: %w", key, err)
	}
	cur, err := c.endpoints.Endpoints(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("get endpoints %s: %w", key, err)
	}
	if cur == nil {
		cur = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	}
	want := Desired(svc, pods, cur, c.triggers.Compute(key, svc, pods))
	if want == nil {
		return nil
	}
	if cur.ResourceVersion == "" {
		_, err = c.client.CoreV1().Endpoints(ns).Create(ctx, want, metav1.CreateOptions{})
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		if err != nil {
			c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToCreateEndpoint", "Failed to create endpoint for service %s/%s: %v", ns, name, err)
			return fmt.Errorf("create endpoints %s: %w", key, err)
		}
		return nil
	}
	if _, err := c.client.CoreV1().Endpoints(ns).Update(ctx, want, metav1.UpdateOptions{}); err != nil {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpoint", "Failed to update endpoint %s/%s: %v", ns, name, err)
		return fmt.Errorf("update endpoints %s: %w", key, err)
	}
	return nil
}

// deleteOrphan deletes the Endpoints of a Service that no longer exists.
func (c *Controller) deleteOrphan(ctx context.Context, ns, name string) error {
	ep, err := c.endpoints.Endpoints(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get endpoints %s/%s: %w", ns, name, err)
	}
	if _, ok := ep.Annotations[leaderAnnotation]; ok {
		return nil
	}
	uid := ep.UID
	err = c.client.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete endpoints %s/%s: %w", ns, name, err)
	}
	return nil
}

// Desired returns the Endpoints to write for svc given the current one (an
// unsaved stub when there is none), or nil when cur is already right. The
// trigger time, when not zero, becomes the last-change-trigger-time
// annotation; it alone never causes a write.
func Desired(svc *corev1.Service, pods []*corev1.Pod, cur *corev1.Endpoints, trigger time.Time) *corev1.Endpoints {
	subsets := Subsets(svc, pods)
	over := Truncate(subsets)
	lbls := make(map[string]string, len(svc.Labels)+2)
	maps.Copy(lbls, svc.Labels)
	delete(lbls, corev1.IsHeadlessService)
	if endpointslice.Headless(svc) {
		lbls[corev1.IsHeadlessService] = ""
	}
	lbls[ManagedByLabel] = ControllerName
	overOK := (cur.Annotations[corev1.EndpointsOverCapacity] == truncated) == over
	if cur.ResourceVersion != "" && overOK && maps.Equal(cur.Labels, lbls) &&
		equality.Semantic.DeepEqual(Normalize(cur.Subsets), subsets) {
		return nil
	}
	next := cur.DeepCopy()
	next.Subsets = subsets
	next.Labels = lbls
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	if trigger.IsZero() {
		delete(next.Annotations, corev1.EndpointsLastChangeTriggerTime)
	} else {
		next.Annotations[corev1.EndpointsLastChangeTriggerTime] = trigger.UTC().Format(time.RFC3339Nano)
	}
	if over {
		next.Annotations[corev1.EndpointsOverCapacity] = truncated
	} else {
		delete(next.Annotations, corev1.EndpointsOverCapacity)
	}
	return next
}
