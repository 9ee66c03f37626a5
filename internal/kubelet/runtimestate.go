package kubelet

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/types"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CRI labels and annotations, as upstream, so state survives a kubelet restart.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"

	annotationHash                      = "io.kubernetes.container.hash"
	annotationRestartCount              = "io.kubernetes.container.restartCount"
	annotationTerminationMessagePath    = "io.kubernetes.container.terminationMessagePath"
	annotationTerminationMessagePolicy  = "io.kubernetes.container.terminationMessagePolicy"
	annotationPodTerminationGracePeriod = "io.kubernetes.pod.terminationGracePeriod"
	annotationContainerKind             = "io.kubernetes.container.kind" // "init" or "regular"
)

// sandboxState is one observed pod sandbox.
type sandboxState struct {
	ID        string
	Attempt   uint32
	Ready     bool
	CreatedAt time.Time
	IPs       []string
}

// containerState is one observed container instance.
type containerState struct {
	ID           string
	Name         string
	SandboxID    string
	RestartCount int32
	State        runtimeapi.ContainerState
	CreatedAt    time.Time
	StartedAt    time.Time
	FinishedAt   time.Time
	ExitCode     int32
	Reason       string // runtime reason, e.g. OOMKilled
	Message      string
	Image        string
	ImageRef     string
	Hash         string
	LogPath      string
}

func (c *containerState) running() bool {
	return c.State == runtimeapi.ContainerState_CONTAINER_RUNNING
}

// exited reports a container that ran (or failed to) and is not running now.
func (c *containerState) exited() bool {
	return c.State == runtimeapi.ContainerState_CONTAINER_EXITED ||
		c.State == runtimeapi.ContainerState_CONTAINER_UNKNOWN
}

// podState is the runtime's view of one pod. Sandboxes and each name's
// containers are ordered newest first.
type podState struct {
	UID        types.UID
	Name       string
	Namespace  string
	Sandboxes  []sandboxState
	Containers []containerState
}

// latest returns the newest instance of the named container, or nil.
func (s *podState) latest(name string) *containerState {
	for i := range s.Containers {
		if s.Containers[i].Name == name {
			return &s.Containers[i]
		}
	}
	return nil
}

// previous returns the second newest instance of the named container, or nil.
func (s *podState) previous(name string) *containerState {
	seen := false
	for i := range s.Containers {
		if s.Containers[i].Name != name {
			continue
		}
		if seen {
			return &s.Containers[i]
		}
		seen = true
	}
	return nil
}

// readySandbox returns the newest sandbox when it is ready.
func (s *podState) readySandbox() *sandboxState {
	if len(s.Sandboxes) == 0 || !s.Sandboxes[0].Ready {
		return nil
	}
	return &s.Sandboxes[0]
}

// observePod reads one pod's sandboxes and containers from CRI.
func observePod(ctx context.Context, rt internalapi.RuntimeService, uid types.UID) (*podState, error) {
	sel := map[string]string{labelPodUID: string(uid)}
	sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list sandboxes of pod %s: %w", uid, err)
	}
	st := &podState{UID: uid}
	for _, sb := range sbs {
		s := sandboxState{ID: sb.Id, Attempt: sb.GetMetadata().GetAttempt(),
			Ready: sb.State == runtimeapi.PodSandboxState_SANDBOX_READY, CreatedAt: time.Unix(0, sb.CreatedAt)}
		st.Name, st.Namespace = sb.GetMetadata().GetName(), sb.GetMetadata().GetNamespace()
		if s.Ready {
			resp, err := rt.PodSandboxStatus(ctx, sb.Id, false)
			if err != nil {
				return nil, fmt.Errorf("status of sandbox %s: %w", sb.Id, err)
			}
			s.IPs = sandboxIPs(resp.GetStatus())
		}
		st.Sandboxes = append(st.Sandboxes, s)
	}
	sort.SliceStable(st.Sandboxes, func(i, j int) bool {
		a, b := st.Sandboxes[i], st.Sandboxes[j]
		if a.Attempt != b.Attempt {
			return a.Attempt > b.Attempt
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
	cs, err := rt.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list containers of pod %s: %w", uid, err)
	}
	for _, c := range cs {
		resp, err := rt.ContainerStatus(ctx, c.Id, false)
		if err != nil {
			return nil, fmt.Errorf("status of container %s: %w", c.Id, err)
		}
		st.Containers = append(st.Containers, containerFromStatus(resp.GetStatus(), c.PodSandboxId))
	}
	sort.SliceStable(st.Containers, func(i, j int) bool {
		a, b := st.Containers[i], st.Containers[j]
		if a.RestartCount != b.RestartCount {
			return a.RestartCount > b.RestartCount
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
	return st, nil
}

func sandboxIPs(s *runtimeapi.PodSandboxStatus) []string {
	var ips []string
	if ip := s.GetNetwork().GetIp(); ip != "" {
		ips = append(ips, ip)
	}
	for _, a := range s.GetNetwork().GetAdditionalIps() {
		if a.GetIp() != "" {
			ips = append(ips, a.GetIp())
		}
	}
	return ips
}

func containerFromStatus(s *runtimeapi.ContainerStatus, sandboxID string) containerState {
	rc, _ := strconv.Atoi(s.GetAnnotations()[annotationRestartCount])
	name := s.GetLabels()[labelContainerName]
	if name == "" {
		name = s.GetMetadata().GetName()
	}
	c := containerState{
		ID: s.GetId(), Name: name, SandboxID: sandboxID, RestartCount: int32(rc), State: s.GetState(),
		ExitCode: s.GetExitCode(), Reason: s.GetReason(), Message: s.GetMessage(),
		Image: s.GetImage().GetImage(), ImageRef: s.GetImageRef(), Hash: s.GetAnnotations()[annotationHash],
		LogPath: s.GetLogPath(),
	}
	c.CreatedAt = unixNanoTime(s.GetCreatedAt())
	c.StartedAt = unixNanoTime(s.GetStartedAt())
	c.FinishedAt = unixNanoTime(s.GetFinishedAt())
	return c
}

func unixNanoTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
