package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// startContext is what starting a container in a ready sandbox needs.
type startContext struct {
	pod       *v1.Pod
	sandboxID string
	sandbox   *runtimeapi.PodSandboxConfig
	vols      map[string]string
	hosts     string
	env       envContext
	state     *podState
}

// startContainer runs one step of a container's start (back-off, image,
// config, create, start, postStart), recording events and the waiting reason
// on failure. It reports whether the container was started.
func (k *Kubelet) startContainer(ctx context.Context, sc startContext, s startAction) bool {
	pod := sc.pod
	c := findContainer(pod, s.Name)
	if c == nil {
		return false
	}
	if prev := sc.state.latest(c.Name); prev != nil && !prev.running() {
		finished := prev.FinishedAt
		if finished.IsZero() {
			finished = prev.CreatedAt
		}
		if wait, ok := k.backoff.check(backOffKey(pod, c.Name, containerHash(c)), finished); !ok {
			k.event(pod, c, v1.EventTypeWarning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s", c.Name, formatPod(pod)))
			k.setWaiting(pod.UID, c.Name, &waitingReason{Reason: "CrashLoopBackOff", Message: crashLoopMessage(wait, c.Name, pod)})
			return false
		}
	}
	img, w := k.ensureImage(ctx, pod, c, sc.sandbox)
	if w != nil {
		k.setWaiting(pod.UID, c.Name, w)
		return false
	}
	cfg, err := k.buildContainer(ctx, sc, c, s.RestartCount, img)
	if err != nil {
		k.event(pod, c, v1.EventTypeWarning, "Failed", "Error: "+err.Error())
		k.setWaiting(pod.UID, c.Name, &waitingReason{Reason: "CreateContainerConfigError", Message: err.Error()})
		return false
	}
	id, err := k.runtime.CreateContainer(ctx, sc.sandboxID, cfg, sc.sandbox)
	if err != nil {
		k.event(pod, c, v1.EventTypeWarning, "Failed", "Error: "+err.Error())
		k.setWaiting(pod.UID, c.Name, &waitingReason{Reason: "CreateContainerError", Message: err.Error()})
		return false
	}
	k.event(pod, c, v1.EventTypeNormal, "Created", "Created container: "+c.Name)
	if err := k.runtime.StartContainer(ctx, id); err != nil {
		k.event(pod, c, v1.EventTypeWarning, "Failed", "Error: "+err.Error())
		k.setWaiting(pod.UID, c.Name, &waitingReason{Reason: "RunContainerError", Message: err.Error()})
		return false
	}
	k.event(pod, c, v1.EventTypeNormal, "Started", "Started container "+c.Name)
	k.setWaiting(pod.UID, c.Name, nil)
	if c.Lifecycle != nil && c.Lifecycle.PostStart != nil {
		hookPod := pod
		if pod.Status.PodIP == "" && len(sc.env.PodIPs) > 0 {
			hookPod = pod.DeepCopy() // the cached pod may not show the new sandbox's IP yet
			hookPod.Status.PodIP = sc.env.PodIPs[0]
		}
		if err := k.hooks.Run(ctx, hookPod, c, id, c.Lifecycle.PostStart); err != nil {
			k.event(pod, c, v1.EventTypeWarning, "FailedPostStartHook", err.Error())
			k.event(pod, c, v1.EventTypeNormal, "Killing", "FailedPostStartHook")
			_ = k.stopContainer(ctx, pod, c, id, gracePeriod(pod), false)
			k.setWaiting(pod.UID, c.Name, &waitingReason{Reason: "PostStartHookError", Message: err.Error()})
			return false
		}
	}
	return true
}

// buildContainer resolves everything a container config needs.
func (k *Kubelet) buildContainer(ctx context.Context, sc startContext, c *v1.Container, restart int32, img *imageResult) (*runtimeapi.ContainerConfig, error) {
	if err := verifyRunAsNonRoot(sc.pod, c, img.UID, img.Username); err != nil {
		return nil, err
	}
	env, err := resolveEnv(ctx, clientEnvSource{k.cfg.Client}, sc.pod, c, sc.env)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(sc.sandbox.LogDirectory, c.Name), 0o755); err != nil {
		return nil, fmt.Errorf("create container log dir: %w", err)
	}
	term := ""
	if c.TerminationMessagePath != "" {
		if term, err = terminationFile(k.cfg.RootDir, sc.pod, c.Name, restart); err != nil {
			return nil, err
		}
	}
	return containerConfig(containerInput{Pod: sc.pod, Container: c, RestartCount: restart, Image: img.Ref, Env: env,
		VolumePaths: sc.vols, HostsFile: sc.hosts, TermFile: term, RootDir: k.cfg.RootDir, MemoryBytes: k.memBytes})
}

// stopContainer runs the preStop hook (when asked and defined) within the
// grace period, then stops the container with what is left of it.
func (k *Kubelet) stopContainer(ctx context.Context, pod *v1.Pod, c *v1.Container, id string, grace int64, preStop bool) error {
	start := k.clock.Now()
	if preStop && c != nil && c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		hctx, cancel := context.WithTimeout(ctx, time.Duration(grace)*time.Second)
		if err := k.hooks.Run(hctx, pod, c, id, c.Lifecycle.PreStop); err != nil {
			k.event(pod, c, v1.EventTypeWarning, "FailedPreStopHook", err.Error())
		}
		cancel()
	}
	left := grace - int64(k.clock.Since(start).Seconds())
	if left < 2 {
		left = 2
	}
	if err := k.runtime.StopContainer(ctx, id, left); err != nil {
		return fmt.Errorf("stop container %s: %w", id, err)
	}
	return nil
}

// killPod stops every running container of the pod — regular containers in
// parallel first, then init and sidecar containers in reverse order — each
// with its preStop hook, and then stops every sandbox.
func (k *Kubelet) killPod(ctx context.Context, pod *v1.Pod, st *podState, grace int64) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(st.Containers))
	for _, cs := range st.Containers {
		spec := findContainer(pod, cs.Name)
		if !cs.running() || (spec != nil && isInit(pod, cs.Name)) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			k.event(pod, spec, v1.EventTypeNormal, "Killing", "Stopping container "+cs.Name)
			errs <- k.stopContainer(ctx, pod, spec, cs.ID, grace, true)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	for i := len(pod.Spec.InitContainers) - 1; i >= 0; i-- {
		c := &pod.Spec.InitContainers[i]
		for _, cs := range st.Containers {
			if cs.Name == c.Name && cs.running() {
				k.event(pod, c, v1.EventTypeNormal, "Killing", "Stopping container "+c.Name)
				if err := k.stopContainer(ctx, pod, c, cs.ID, grace, true); err != nil {
					return err
				}
			}
		}
	}
	for _, sb := range st.Sandboxes {
		if sb.Ready {
			if err := k.runtime.StopPodSandbox(ctx, sb.ID); err != nil {
				return fmt.Errorf("stop sandbox %s: %w", sb.ID, err)
			}
		}
	}
	return nil
}

func isInit(pod *v1.Pod, name string) bool {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return true
		}
	}
	return false
}

// clientEnvSource reads env sources from the API.
type clientEnvSource struct{ client kubernetes.Interface }

func (s clientEnvSource) ConfigMap(ctx context.Context, ns, name string) (*v1.ConfigMap, error) {
	return s.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
}

func (s clientEnvSource) Secret(ctx context.Context, ns, name string) (*v1.Secret, error) {
	return s.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}
