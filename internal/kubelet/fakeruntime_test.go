package kubelet

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/protobuf/proto"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/clock"
)

// fakeRuntime is an in-memory CRI runtime. (The cri-api testing fakes would
// need github.com/stretchr/testify in go.mod.) Methods the kubelet does not
// call are left to the embedded nil interface and panic if called.
type fakeRuntime struct {
	internalapi.RuntimeService
	mu         sync.Mutex
	clock      clock.Clock
	calls      []string
	errs       map[string]error
	sandboxes  map[string]*runtimeapi.PodSandboxStatus
	containers map[string]*fakeContainer
	nextID     int
	stopGraces []int64
}

type fakeContainer struct {
	status    *runtimeapi.ContainerStatus
	sandboxID string
	config    *runtimeapi.ContainerConfig
}

func newFakeRuntime(c clock.Clock) *fakeRuntime {
	return &fakeRuntime{clock: c, errs: map[string]error{}, sandboxes: map[string]*runtimeapi.PodSandboxStatus{},
		containers: map[string]*fakeContainer{}}
}

func (f *fakeRuntime) record(call string) error {
	f.calls = append(f.calls, call)
	err := f.errs[call]
	delete(f.errs, call)
	return err
}

// Calls returns the calls so far.
func (f *fakeRuntime) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.calls...)
}

func (f *fakeRuntime) Version(context.Context, string) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: "containerd"}, nil
}

func (f *fakeRuntime) RunPodSandbox(_ context.Context, cfg *runtimeapi.PodSandboxConfig, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("RunPodSandbox"); err != nil {
		return "", err
	}
	f.nextID++
	id := fmt.Sprintf("sb%d", f.nextID)
	f.sandboxes[id] = &runtimeapi.PodSandboxStatus{Id: id, Metadata: cfg.Metadata, State: runtimeapi.PodSandboxState_SANDBOX_READY,
		CreatedAt: f.clock.Now().UnixNano(), Network: &runtimeapi.PodSandboxNetworkStatus{Ip: "10.88.0.7"},
		Labels: cfg.Labels, Annotations: cfg.Annotations}
	return id, nil
}

func (f *fakeRuntime) StopPodSandbox(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("StopPodSandbox"); err != nil {
		return err
	}
	sb, ok := f.sandboxes[id]
	if !ok {
		return fmt.Errorf("sandbox %s not found", id)
	}
	sb.State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	for _, c := range f.containers {
		if c.sandboxID == id && c.status.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			c.status.State, c.status.ExitCode, c.status.FinishedAt = runtimeapi.ContainerState_CONTAINER_EXITED, 137, f.clock.Now().UnixNano()
		}
	}
	return nil
}

func (f *fakeRuntime) RemovePodSandbox(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("RemovePodSandbox"); err != nil {
		return err
	}
	delete(f.sandboxes, id)
	return nil
}

func (f *fakeRuntime) PodSandboxStatus(_ context.Context, id string, _ bool) (*runtimeapi.PodSandboxStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.sandboxes[id]
	if !ok {
		return nil, fmt.Errorf("sandbox %s not found", id)
	}
	return &runtimeapi.PodSandboxStatusResponse{Status: proto.Clone(sb).(*runtimeapi.PodSandboxStatus)}, nil
}

func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeRuntime) ListPodSandbox(_ context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*runtimeapi.PodSandbox
	for _, sb := range f.sandboxes {
		if matches(filter.GetLabelSelector(), sb.Labels) {
			out = append(out, &runtimeapi.PodSandbox{Id: sb.Id, Metadata: sb.Metadata, State: sb.State, CreatedAt: sb.CreatedAt, Labels: sb.Labels})
		}
	}
	return out, nil
}

func (f *fakeRuntime) CreateContainer(_ context.Context, sbID string, cfg *runtimeapi.ContainerConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("CreateContainer"); err != nil {
		return "", err
	}
	f.nextID++
	id := fmt.Sprintf("c%d-%s-%d", f.nextID, cfg.Metadata.Name, cfg.Metadata.Attempt)
	f.containers[id] = &fakeContainer{sandboxID: sbID, config: cfg, status: &runtimeapi.ContainerStatus{
		Id: id, Metadata: cfg.Metadata, State: runtimeapi.ContainerState_CONTAINER_CREATED, CreatedAt: f.clock.Now().UnixNano(),
		Image: cfg.Image, ImageRef: cfg.Image.Image, Labels: cfg.Labels, Annotations: cfg.Annotations, LogPath: cfg.LogPath}}
	return id, nil
}

func (f *fakeRuntime) StartContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("StartContainer"); err != nil {
		return err
	}
	c, ok := f.containers[id]
	if !ok {
		return fmt.Errorf("container %s not found", id)
	}
	c.status.State, c.status.StartedAt = runtimeapi.ContainerState_CONTAINER_RUNNING, f.clock.Now().UnixNano()
	return nil
}

func (f *fakeRuntime) StopContainer(_ context.Context, id string, grace int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("StopContainer"); err != nil {
		return err
	}
	c, ok := f.containers[id]
	if !ok {
		return fmt.Errorf("container %s not found", id)
	}
	f.stopGraces = append(f.stopGraces, grace)
	if c.status.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
		c.status.State, c.status.ExitCode, c.status.FinishedAt = runtimeapi.ContainerState_CONTAINER_EXITED, 137, f.clock.Now().UnixNano()
	}
	return nil
}

func (f *fakeRuntime) RemoveContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("RemoveContainer"); err != nil {
		return err
	}
	delete(f.containers, id)
	return nil
}

func (f *fakeRuntime) ListContainers(_ context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*runtimeapi.Container
	for _, c := range f.containers {
		if matches(filter.GetLabelSelector(), c.status.Labels) {
			out = append(out, &runtimeapi.Container{Id: c.status.Id, PodSandboxId: c.sandboxID, Metadata: c.status.Metadata,
				State: c.status.State, Labels: c.status.Labels, Annotations: c.status.Annotations, CreatedAt: c.status.CreatedAt})
		}
	}
	return out, nil
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return nil, fmt.Errorf("container %s not found", id)
	}
	return &runtimeapi.ContainerStatusResponse{Status: proto.Clone(c.status).(*runtimeapi.ContainerStatus)}, nil
}

// fakeImages is an in-memory CRI image service.
type fakeImages struct {
	internalapi.ImageManagerService
	mu      sync.Mutex
	images  map[string]*runtimeapi.Image
	pullErr error
	pulls   []string
}

func newFakeImages(names ...string) *fakeImages {
	f := &fakeImages{images: map[string]*runtimeapi.Image{}}
	for _, n := range names {
		f.images[n] = &runtimeapi.Image{Id: "sha256:" + n, Size: 1234}
	}
	return f
}

func (f *fakeImages) ImageStatus(_ context.Context, spec *runtimeapi.ImageSpec, _ bool) (*runtimeapi.ImageStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &runtimeapi.ImageStatusResponse{Image: f.images[spec.Image]}, nil
}

func (f *fakeImages) PullImage(_ context.Context, spec *runtimeapi.ImageSpec, _ *runtimeapi.AuthConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls = append(f.pulls, spec.Image)
	if f.pullErr != nil {
		return "", f.pullErr
	}
	f.images[spec.Image] = &runtimeapi.Image{Id: "sha256:" + spec.Image, Size: 1234}
	return "sha256:" + spec.Image, nil
}
