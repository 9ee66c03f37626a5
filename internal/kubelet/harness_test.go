package kubelet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	testingclock "k8s.io/utils/clock/testing"
)

type fakeVolumes struct {
	mu       sync.Mutex
	err      error
	paths    map[string]string
	torn     []types.UID
	tornAt   int // number of runtime calls when TearDown ran
	runtime  *fakeRuntime
	setUpFor []types.UID
}

func (f *fakeVolumes) SetUp(_ context.Context, pod *v1.Pod) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setUpFor = append(f.setUpFor, pod.UID)
	return f.paths, f.err
}

func (f *fakeVolumes) TearDown(_ context.Context, uid types.UID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.torn = append(f.torn, uid)
	f.tornAt = len(f.runtime.Calls())
	return nil
}

type fakeProbes struct {
	mu      sync.Mutex
	ready   bool
	removed []types.UID
	updated int
}

func (f *fakeProbes) UpdatePod(*v1.Pod, *v1.PodStatus) { f.mu.Lock(); f.updated++; f.mu.Unlock() }
func (f *fakeProbes) RemovePod(uid types.UID) {
	f.mu.Lock()
	f.removed = append(f.removed, uid)
	f.mu.Unlock()
}
func (f *fakeProbes) Ready(types.UID, string) bool   { f.mu.Lock(); defer f.mu.Unlock(); return f.ready }
func (f *fakeProbes) Started(types.UID, string) bool { return true }

type fakeHooks struct {
	mu    sync.Mutex
	calls []string
	err   error
	rt    *fakeRuntime
}

func (f *fakeHooks) Run(_ context.Context, _ *v1.Pod, c *v1.Container, _ string, h *v1.LifecycleHandler) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s@%d", c.Name, len(f.rt.Calls())))
	return f.err
}

type harness struct {
	t       *testing.T
	k       *Kubelet
	client  *fake.Clientset
	rt      *fakeRuntime
	images  *fakeImages
	vols    *fakeVolumes
	probes  *fakeProbes
	hooks   *fakeHooks
	events  *record.FakeRecorder
	clock   *testingclock.FakeClock
	rootDir string
}

func newHarness(t *testing.T, objs ...*v1.Pod) *harness {
	t.Helper()
	clk := testingclock.NewFakeClock(t0)
	h := &harness{t: t, rt: newFakeRuntime(clk), images: newFakeImages("busybox:1.0"),
		probes: &fakeProbes{}, events: record.NewFakeRecorder(1000), clock: clk, rootDir: t.TempDir()}
	h.vols = &fakeVolumes{runtime: h.rt, paths: map[string]string{}}
	h.hooks = &fakeHooks{rt: h.rt}
	h.client = fake.NewClientset()
	for _, p := range objs {
		if _, err := h.client.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	h.k = h.newKubelet()
	return h
}

// newKubelet builds a kubelet over the harness's runtime, as after a restart.
func (h *harness) newKubelet() *Kubelet {
	k, err := New(Config{NodeName: "node1", Client: h.client, Runtime: h.rt, Images: h.images, Volumes: h.vols,
		Probes: h.probes, Hooks: h.hooks, Recorder: h.events, Clock: h.clock, RootDir: h.rootDir,
		LogDir: h.t.TempDir(), HostIPs: []string{"192.0.2.1"}, ClusterDNS: []string{"10.96.0.10"}})
	if err != nil {
		h.t.Fatal(err)
	}
	return k
}

// sync runs one sync of the pod as stored in the fake API.
func (h *harness) sync(name string) {
	h.t.Helper()
	pod, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.k.mu.Lock()
	h.k.pods[pod.UID] = pod
	h.k.mu.Unlock()
	h.k.syncUID(context.Background(), pod.UID)
}

func (h *harness) pod(name string) *v1.Pod {
	h.t.Helper()
	pod, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return pod
}

// drainEvents returns the events recorded so far as "Type Reason Message".
func (h *harness) drainEvents() []string {
	var out []string
	for {
		select {
		case e := <-h.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func hasEvent(events []string, want string) bool {
	for _, e := range events {
		if e == want {
			return true
		}
	}
	return false
}

// exitContainer makes the newest instance of name exit with code.
func (h *harness) exitContainer(name string, code int32) {
	h.t.Helper()
	newest := h.newest(name)
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	newest.status.State = runtimeapi.ContainerState_CONTAINER_EXITED
	newest.status.ExitCode = code
	newest.status.FinishedAt = h.clock.Now().UnixNano()
}

// newest returns the newest instance of the named container.
func (h *harness) newest(name string) *fakeContainer {
	h.t.Helper()
	h.rt.mu.Lock()
	defer h.rt.mu.Unlock()
	var newest *fakeContainer
	for _, c := range h.rt.containers {
		if c.status.Metadata.Name == name && (newest == nil || c.status.Metadata.Attempt > newest.status.Metadata.Attempt) {
			newest = c
		}
	}
	if newest == nil {
		h.t.Fatalf("no container %s", name)
	}
	return newest
}

func callsOf(calls []string, names ...string) []string {
	var out []string
	for _, c := range calls {
		for _, n := range names {
			if c == n {
				out = append(out, c)
			}
		}
	}
	return out
}

func basicPod(name string, policy v1.RestartPolicy) *v1.Pod {
	p := testPod(policy, "a")
	p.Name, p.UID = name, types.UID("uid-"+name)
	return p
}

var errBoom = errors.New("boom")

func joinLines(s []string) string { return strings.Join(s, "\n") }
