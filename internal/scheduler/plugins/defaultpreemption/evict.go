package defaultpreemption

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
)

// APIEvictor is the Evictor that acts through the API server.
type APIEvictor struct {
	Client   kubernetes.Interface
	Recorder events.EventRecorder
	// Now stamps the DisruptionTarget condition; nil is time.Now.
	Now func() time.Time
	// Log reports nominations that could not be cleared; nil discards.
	Log *slog.Logger
}

var _ Evictor = (*APIEvictor)(nil)

// Preempt marks each victim with DisruptionTarget=True (reason
// PreemptionByScheduler), deletes it with its own grace period, emits
// Preempted on it, and then sets the preemptor's nominatedNodeName.
// Victims already gone are skipped. Before the preemptor's nomination,
// each pod of unnominate loses its status.nominatedNodeName; as upstream,
// a failure there is logged and does not fail the preemption.
func (e *APIEvictor) Preempt(ctx context.Context, preemptor *v1.Pod, node string, victims, unnominate []*v1.Pod) error {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	for _, v := range victims {
		cond := v1.PodCondition{Type: v1.DisruptionTarget, Status: v1.ConditionTrue, Reason: DisruptionReason,
			Message: fmt.Sprintf(disruptionMessageFormat, preemptor.Spec.SchedulerName), LastTransitionTime: metav1.NewTime(now())}
		if err := e.patchStatus(ctx, v, map[string]any{"conditions": []v1.PodCondition{cond}}); err != nil {
			return err
		}
		uid := v.UID
		err := e.Client.CoreV1().Pods(v.Namespace).Delete(ctx, v.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete victim %s/%s: %w", v.Namespace, v.Name, err)
		}
		if e.Recorder != nil {
			e.Recorder.Eventf(v, preemptor, v1.EventTypeNormal, preemptedEventReason, preemptingEventAction,
				"Preempted by pod %v on node %v", preemptor.UID, node)
		}
	}
	for _, p := range unnominate {
		if err := e.patchStatus(ctx, p, map[string]any{"nominatedNodeName": nil}); err != nil && e.Log != nil {
			e.Log.Warn("cannot clear nominatedNodeName", "pod", p.Namespace+"/"+p.Name, "err", err)
		}
	}
	return e.patchStatus(ctx, preemptor, map[string]any{"nominatedNodeName": node})
}

// patchStatus applies a strategic merge patch to the pod's status,
// guarded by its uid; a pod already gone is not an error.
func (e *APIEvictor) patchStatus(ctx context.Context, pod *v1.Pod, status map[string]any) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"uid": pod.UID}, "status": status})
	if err != nil {
		return fmt.Errorf("encode status patch: %w", err)
	}
	_, err = e.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patch status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
