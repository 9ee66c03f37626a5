package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// terminatePod carries out the deletion of a pod: preStop hooks and
// graceful stop of its containers, a last status, removal of containers and
// sandboxes, volume teardown, and finally the delete of the pod object with
// grace 0 and a UID precondition.
func (k *Kubelet) terminatePod(ctx context.Context, pod *v1.Pod) error {
	st, err := k.observe(ctx, pod)
	if err != nil {
		return err
	}
	if err := k.killPod(ctx, pod, st, gracePeriod(pod)); err != nil {
		return err
	}
	if _, err := k.updateStatus(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err := k.removePod(ctx, pod.UID); err != nil {
		return err
	}
	zero := int64(0)
	err = k.cfg.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	k.forget(pod.UID)
	return nil
}

// syncTerminal stops what still runs of a pod that reached Succeeded or
// Failed and releases its sandbox; its containers stay for their logs.
func (k *Kubelet) syncTerminal(ctx context.Context, pod *v1.Pod) error {
	st, err := k.observe(ctx, pod)
	if err != nil {
		return err
	}
	if err := k.killPod(ctx, pod, st, gracePeriod(pod)); err != nil {
		return err
	}
	k.cfg.Probes.RemovePod(pod.UID)
	if err := k.cfg.Volumes.TearDown(ctx, pod.UID); err != nil {
		return fmt.Errorf("tear down volumes: %w", err)
	}
	return nil
}

// cleanupOrphan stops and removes what the runtime has of a pod that is no
// longer in the API.
func (k *Kubelet) cleanupOrphan(ctx context.Context, uid types.UID) error {
	st, err := observePod(ctx, k.runtime, uid)
	if err != nil {
		return err
	}
	for _, c := range st.Containers {
		if c.running() {
			if err := k.runtime.StopContainer(ctx, c.ID, orphanGrace(k, c.ID)); err != nil {
				return fmt.Errorf("stop orphan container %s: %w", c.ID, err)
			}
		}
	}
	for _, sb := range st.Sandboxes {
		if sb.Ready {
			if err := k.runtime.StopPodSandbox(ctx, sb.ID); err != nil {
				return fmt.Errorf("stop orphan sandbox %s: %w", sb.ID, err)
			}
		}
	}
	if err := k.removePod(ctx, uid); err != nil {
		return err
	}
	k.forget(uid)
	return nil
}

// orphanGrace reads the grace period recorded on a container, at least 2 s.
func orphanGrace(k *Kubelet, id string) int64 {
	resp, err := k.runtime.ContainerStatus(context.Background(), id, false)
	if err != nil {
		return 2
	}
	g, err := strconv.ParseInt(resp.GetStatus().GetAnnotations()[annotationPodTerminationGracePeriod], 10, 64)
	if err != nil || g < 2 {
		return 2
	}
	return g
}

// removePod removes the pod's containers and sandboxes, tears its volumes
// down and deletes its directory. Everything must already be stopped.
func (k *Kubelet) removePod(ctx context.Context, uid types.UID) error {
	st, err := observePod(ctx, k.runtime, uid)
	if err != nil {
		return err
	}
	for _, c := range st.Containers {
		if err := k.runtime.RemoveContainer(ctx, c.ID); err != nil {
			return fmt.Errorf("remove container %s: %w", c.ID, err)
		}
	}
	for _, sb := range st.Sandboxes {
		if err := k.runtime.RemovePodSandbox(ctx, sb.ID); err != nil {
			return fmt.Errorf("remove sandbox %s: %w", sb.ID, err)
		}
	}
	k.cfg.Probes.RemovePod(uid)
	if err := k.cfg.Volumes.TearDown(ctx, uid); err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", uid, err)
	}
	if err := os.RemoveAll(filepath.Join(k.cfg.RootDir, "pods", string(uid))); err != nil {
		return fmt.Errorf("remove pod dir: %w", err)
	}
	if st.Name != "" {
		dir := filepath.Join(k.cfg.LogDir, fmt.Sprintf("%s_%s_%s", st.Namespace, st.Name, uid))
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove pod log dir: %w", err)
		}
	}
	return nil
}
