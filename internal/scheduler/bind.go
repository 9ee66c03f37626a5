package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/queue"
)

// Condition reasons, as upstream.
const (
	reasonUnschedulable  = "Unschedulable"
	reasonSchedulerError = "SchedulerError"
)

// bind posts the binding for an assumed pod. On failure the pod is
// forgotten and re-queued with backoff; on success the informer's update
// confirms the assumed copy.
// start is when the attempt began (for the attempt metrics).
func (s *Scheduler) bind(ctx context.Context, qp *queue.QueuedPod, assumed *v1.Pod, start time.Time) {
	defer s.async.Done()
	select {
	case s.bindSlots <- struct{}{}:
	case <-ctx.Done():
		s.cache.ForgetPod(assumed)
		s.queue.Done(qp)
		return
	}
	err := s.bindCall(ctx, &v1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: assumed.Namespace, Name: assumed.Name, UID: assumed.UID},
		Target:     v1.ObjectReference{Kind: "Node", Name: assumed.Spec.NodeName},
	})
	<-s.bindSlots
	if err != nil {
		s.cache.ForgetPod(assumed)
		if ctx.Err() != nil {
			s.queue.Done(qp)
			return
		}
		s.fail(ctx, qp, fmt.Errorf("bind pod %s to node %s: %w", qp.Key(), assumed.Spec.NodeName, err), start)
		return
	}
	s.queue.Done(qp)
	s.bound.Add(1)
	s.metrics.attempt(resultScheduled, assumed.Spec.SchedulerName, start)
	s.profiles.recorder(assumed).Eventf(assumed, nil, v1.EventTypeNormal, "Scheduled", "Binding",
		"Successfully assigned %v/%v to %v", assumed.Namespace, assumed.Name, assumed.Spec.NodeName)
}

// fail hands a pod back to the queue after a failed attempt, and tells the
// user: a FailedScheduling event and the PodScheduled=False condition.
// start is when the attempt began.
func (s *Scheduler) fail(ctx context.Context, qp *queue.QueuedPod, err error, start time.Time) {
	var fe *framework.FitError
	reason := reasonSchedulerError
	if errors.As(err, &fe) {
		reason = reasonUnschedulable
		s.metrics.attempt(resultUnschedulable, qp.Pod.Spec.SchedulerName, start)
		s.queue.Requeue(qp, true, fe.UnschedulablePlugins())
	} else {
		s.metrics.attempt(resultError, qp.Pod.Spec.SchedulerName, start)
		s.queue.Requeue(qp, false, nil)
		s.log.Error("scheduling attempt failed", "pod", qp.Key(), "err", err)
	}
	if apierrors.IsNotFound(err) {
		return
	}
	msg := err.Error()
	pod := qp.Pod
	s.profiles.recorder(pod).Eventf(pod, nil, v1.EventTypeWarning, "FailedScheduling", "Scheduling", "%s", msg)
	if !conditionNeedsUpdate(pod, reason, msg) {
		return
	}
	s.async.Add(1)
	go func() {
		defer s.async.Done()
		if err := s.patchCondition(ctx, pod, reason, msg); err != nil && ctx.Err() == nil {
			s.log.Warn("update pod condition", "pod", qp.Key(), "err", err)
		}
	}()
}

// conditionNeedsUpdate reports whether the pod lacks PodScheduled=False with
// this reason and message.
func conditionNeedsUpdate(pod *v1.Pod, reason, msg string) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == v1.PodScheduled {
			return c.Status != v1.ConditionFalse || c.Reason != reason || c.Message != msg
		}
	}
	return true
}

// patchCondition sets PodScheduled=False through a strategic merge patch
// of the status subresource (conditions merge by type). The transition
// time moves only when the status changes.
func (s *Scheduler) patchCondition(ctx context.Context, pod *v1.Pod, reason, msg string) error {
	cond := v1.PodCondition{Type: v1.PodScheduled, Status: v1.ConditionFalse, Reason: reason, Message: msg,
		LastTransitionTime: metav1.NewTime(time.Now())}
	for _, c := range pod.Status.Conditions {
		if c.Type == v1.PodScheduled && c.Status == v1.ConditionFalse {
			cond.LastTransitionTime = c.LastTransitionTime
		}
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": pod.UID},
		"status":   map[string]any{"conditions": []v1.PodCondition{cond}},
	})
	if err != nil {
		return fmt.Errorf("encode condition patch: %w", err)
	}
	_, err = s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch,
		metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("patch status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
