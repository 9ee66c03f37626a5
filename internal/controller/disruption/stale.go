package disruption

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// StalePodDisruptionTimeout is how long a DisruptionTarget condition may
// stand on a pod that is not being deleted, as upstream.
const StalePodDisruptionTimeout = 2 * time.Minute

// disruptionTarget returns the pod's DisruptionTarget condition when True.
func disruptionTarget(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		c := &pod.Status.Conditions[i]
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// StaleAfter is how long until cond goes stale; <= 0 means it is stale.
func StaleAfter(cond *corev1.PodCondition, now time.Time) time.Duration {
	return cond.LastTransitionTime.Add(StalePodDisruptionTimeout).Sub(now)
}

// syncStale sets a stale DisruptionTarget condition of a pod that is not
// being deleted to False.
func (c *Controller) syncStale(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := c.pods.Pods(ns).Get(name)
	if err != nil {
		return nil
	}
	cond := disruptionTarget(pod)
	if cond == nil || pod.DeletionTimestamp != nil {
		return nil
	}
	now := c.clock.Now()
	if wait := StaleAfter(cond, now); wait > 0 {
		c.stale.AddAfter(key, wait)
		return nil
	}
	next := pod.DeepCopy()
	nc := disruptionTarget(next)
	nc.Status, nc.Reason, nc.Message = corev1.ConditionFalse, "", ""
	nc.LastTransitionTime = metav1.NewTime(now)
	if _, err := c.client.CoreV1().Pods(ns).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reset stale disruption condition of pod %s: %w", key, err)
	}
	c.log.Info("reset stale DisruptionTarget condition", "pod", key)
	return nil
}
