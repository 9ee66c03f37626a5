package kubelet

import (
	"context"
	"fmt"
	"os"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// defaultResync is how soon a pod is synced again with nothing pending.
const defaultResync = 10 * time.Second

// syncPod converges a pod that is not being deleted and returns when it
// wants to be synced again (0: only on a change).
func (k *Kubelet) syncPod(ctx context.Context, pod *v1.Pod) (time.Duration, error) {
	if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
		return 0, k.syncTerminal(ctx, pod)
	}
	if ev, ok := k.eviction(pod.UID); ok {
		return 0, k.syncEvicted(ctx, pod, ev)
	}
	if adm := k.admit(ctx, pod); adm != nil && !adm.ok {
		return 0, k.syncRejected(ctx, pod, adm)
	}
	vols, err := k.cfg.Volumes.SetUp(ctx, pod)
	if err != nil {
		k.event(pod, nil, v1.EventTypeWarning, "FailedMount", err.Error())
		if _, serr := k.updateStatus(ctx, pod); serr != nil {
			return 0, serr
		}
		return 2 * time.Second, nil
	}
	st, err := k.observe(ctx, pod)
	if err != nil {
		return 0, err
	}
	acts := computeActions(syncInput{Pod: pod, State: st, LivenessFailed: k.livenessFailed(pod.UID),
		Started: func(n string) bool { return k.cfg.Probes.Started(pod.UID, n) }})
	if err := k.execute(ctx, pod, st, acts, vols); err != nil {
		return 0, err
	}
	status, err := k.updateStatus(ctx, pod)
	if err != nil {
		return 0, err
	}
	k.cfg.Probes.UpdatePod(pod, status)
	if status.Phase == v1.PodSucceeded || status.Phase == v1.PodFailed {
		return 0, k.syncTerminal(ctx, pod)
	}
	return k.requeueAfter(pod), nil
}

// execute carries out the actions of one sync.
func (k *Kubelet) execute(ctx context.Context, pod *v1.Pod, st *podState, acts podActions, vols map[string]string) error {
	if acts.KillPod {
		if len(st.Sandboxes) > 0 && acts.CreateSandbox {
			k.event(pod, nil, v1.EventTypeNormal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
		}
		if err := k.killPod(ctx, pod, st, gracePeriod(pod)); err != nil {
			return err
		}
		if !acts.CreateSandbox {
			return nil
		}
	}
	sbCfg := sandboxConfig(pod, acts.SandboxAttempt, k.sandbox)
	sbID := acts.SandboxID
	if acts.CreateSandbox {
		id, err := k.createSandbox(ctx, pod, sbCfg)
		if err != nil {
			return nil // reported as an event; retried on the next sync
		}
		sbID = id
	}
	if sbID == "" {
		return nil
	}
	for _, kill := range acts.Kill {
		c := findContainer(pod, kill.Name)
		k.event(pod, c, v1.EventTypeNormal, kill.Reason, kill.Message)
		if err := k.stopContainer(ctx, pod, c, kill.ID, gracePeriod(pod), false); err != nil {
			return err
		}
		k.clearLiveness(pod.UID, kill.Name)
	}
	if len(acts.Kill) > 0 {
		var err error
		if st, err = k.observe(ctx, pod); err != nil {
			return err
		}
	}
	ips, err := k.sandboxIPs(ctx, sbID)
	if err != nil {
		return err
	}
	hosts := ""
	if !pod.Spec.HostNetwork {
		content := hostsFile(pod, ips, podHostname(pod, k.sandbox.NodeHostname), k.cfg.ClusterDomain)
		if hosts, err = writeHostsFile(k.cfg.RootDir, pod, content); err != nil {
			return err
		}
	}
	env := envContext{PodIPs: ips, HostIPs: k.cfg.HostIPs, NodeCPU: k.nodeCPU}
	env.NodeMemory.Set(k.memBytes)
	for _, s := range acts.Start {
		sc := startContext{pod: pod, sandboxID: sbID, sandbox: sbCfg, vols: vols, hosts: hosts, env: env, state: st}
		if !k.startContainer(ctx, sc, s) && s.Init {
			break
		}
	}
	return k.gcContainers(ctx, pod)
}

func (k *Kubelet) createSandbox(ctx context.Context, pod *v1.Pod, cfg *runtimeapi.PodSandboxConfig) (string, error) {
	if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
		return "", fmt.Errorf("create pod log dir: %w", err)
	}
	id, err := k.runtime.RunPodSandbox(ctx, cfg, "")
	if err != nil {
		k.event(pod, nil, v1.EventTypeWarning, "FailedCreatePodSandBox", fmt.Sprintf("Failed to create pod sandbox: %v", err))
		return "", err
	}
	return id, nil
}

func (k *Kubelet) sandboxIPs(ctx context.Context, id string) ([]string, error) {
	resp, err := k.runtime.PodSandboxStatus(ctx, id, false)
	if err != nil {
		return nil, fmt.Errorf("sandbox %s status: %w", id, err)
	}
	return sandboxIPs(resp.GetStatus()), nil
}

// observe reads the pod's runtime state and fills in termination messages.
func (k *Kubelet) observe(ctx context.Context, pod *v1.Pod) (*podState, error) {
	st, err := observePod(ctx, k.runtime, pod.UID)
	if err != nil {
		return nil, err
	}
	for i := range st.Containers {
		c := &st.Containers[i]
		spec := findContainer(pod, c.Name)
		if spec == nil || !c.exited() {
			continue
		}
		if msg := terminationMessage(k.cfg.RootDir, pod, c, spec.TerminationMessagePolicy, c.LogPath); msg != "" {
			c.Message = msg
		}
	}
	return st, nil
}

// requeueAfter is the soonest a container in back-off may start, or the
// default resync.
func (k *Kubelet) requeueAfter(pod *v1.Pod) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.waiting[pod.UID] {
		if w.Reason == "CrashLoopBackOff" || w.Reason == "ImagePullBackOff" || w.Reason == "ErrImagePull" {
			return time.Second
		}
	}
	return defaultResync
}

// gcContainers removes exited instances older than the newest two of each
// container (the newest reports state, the one before it lastState).
func (k *Kubelet) gcContainers(ctx context.Context, pod *v1.Pod) error {
	st, err := observePod(ctx, k.runtime, pod.UID)
	if err != nil {
		return err
	}
	seen := map[string]int{}
	for _, c := range st.Containers {
		seen[c.Name]++
		if seen[c.Name] > 2 && !c.running() {
			if err := k.runtime.RemoveContainer(ctx, c.ID); err != nil {
				return fmt.Errorf("remove container %s: %w", c.ID, err)
			}
		}
	}
	return nil
}

func (k *Kubelet) setWaiting(uid types.UID, name string, w *waitingReason) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if w == nil {
		delete(k.waiting[uid], name)
		return
	}
	if k.waiting[uid] == nil {
		k.waiting[uid] = map[string]waitingReason{}
	}
	k.waiting[uid][name] = *w
}

func (k *Kubelet) waitingOf(uid types.UID) map[string]waitingReason {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]waitingReason{}
	for n, w := range k.waiting[uid] {
		out[n] = w
	}
	return out
}

func (k *Kubelet) livenessFailed(uid types.UID) map[string]bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]bool{}
	for n, f := range k.liveness[uid] {
		out[n] = f
	}
	return out
}

func (k *Kubelet) clearLiveness(uid types.UID, name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.liveness[uid], name)
}

// forget drops everything the kubelet remembers about a pod.
func (k *Kubelet) forget(uid types.UID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.waiting, uid)
	delete(k.liveness, uid)
	delete(k.lastStatus, uid)
	delete(k.evictions, uid)
	delete(k.admitted, uid)
}

// gracePeriod is the pod's termination grace in seconds: the deletion's,
// else the spec's, else 30; at least 2 as upstream.
func gracePeriod(pod *v1.Pod) int64 {
	g := int64(30)
	switch {
	case pod.DeletionGracePeriodSeconds != nil:
		g = *pod.DeletionGracePeriodSeconds
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		g = *pod.Spec.TerminationGracePeriodSeconds
	}
	if g < 2 {
		g = 2
	}
	return g
}
