package kubelet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// updateStatus observes the pod, computes its status and patches
// pods/status when it differs from both the pod's and the last one written.
func (k *Kubelet) updateStatus(ctx context.Context, pod *v1.Pod) (*v1.PodStatus, error) {
	st, err := k.observe(ctx, pod)
	if err != nil {
		return nil, err
	}
	base := pod.DeepCopy()
	k.mu.Lock()
	last := k.lastStatus[pod.UID]
	k.mu.Unlock()
	if last != nil {
		var prev v1.PodStatus
		if err := json.Unmarshal(last, &prev); err == nil && newerStatus(pod, prev) {
			base.Status = prev
		}
	}
	status := computeStatus(statusInput{
		Pod: base, State: st, Waiting: k.waitingOf(pod.UID), RuntimeName: k.runtimeName,
		HostIPs: k.cfg.HostIPs, Now: k.clock.Now(),
		Ready:   func(n string) bool { return k.cfg.Probes.Ready(pod.UID, n) },
		Started: func(n string) bool { return k.cfg.Probes.Started(pod.UID, n) },
	})
	if ev, ok := k.eviction(pod.UID); ok {
		applyEviction(&status, ev, apiTime(k.clock.Now()))
	}
	if err := k.patchStatus(ctx, pod, base.Status, status); err != nil {
		return nil, err
	}
	return &status, nil
}

// newerStatus reports whether what the kubelet last wrote should be the
// base of the next status rather than the (possibly stale) cached pod: it
// is, unless someone else has since made the pod terminal. Conditions owned
// by others are kept by the server, as the patch does not mention them.
func newerStatus(pod *v1.Pod, _ v1.PodStatus) bool {
	return pod.Status.Phase != v1.PodSucceeded && pod.Status.Phase != v1.PodFailed
}

// patchStatus writes status with a strategic merge patch carrying a UID
// precondition, unless nothing changed.
func (k *Kubelet) patchStatus(ctx context.Context, pod *v1.Pod, old, status v1.PodStatus) error {
	oldJSON, err := json.Marshal(v1.Pod{Status: old})
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	newJSON, err := json.Marshal(v1.Pod{Status: status})
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	statusJSON, _ := json.Marshal(status)
	k.mu.Lock()
	same := bytes.Equal(k.lastStatus[pod.UID], statusJSON)
	k.mu.Unlock()
	if bytes.Equal(oldJSON, newJSON) && same {
		return nil
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldJSON, newJSON, v1.Pod{})
	if err != nil {
		return fmt.Errorf("status patch: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(patch, &m); err != nil {
		return fmt.Errorf("status patch: %w", err)
	}
	if len(m) == 0 && same {
		return nil
	}
	m["metadata"] = map[string]any{"uid": string(pod.UID)}
	if patch, err = json.Marshal(m); err != nil {
		return fmt.Errorf("status patch: %w", err)
	}
	_, err = k.cfg.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("patch status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	k.mu.Lock()
	k.lastStatus[pod.UID] = statusJSON
	k.mu.Unlock()
	return nil
}
