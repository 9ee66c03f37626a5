package nodestatus_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/kubelet/nodestatus"
)

// fakeRuntime answers Version like containerd; other calls panic (unused).
type fakeRuntime struct{ internalapi.RuntimeService }

func (fakeRuntime) Version(context.Context, string) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: "containerd", RuntimeVersion: "1.6.20", RuntimeApiVersion: "v1"}, nil
}

// fakeImages lists a fixed set of images; other calls panic (unused).
type fakeImages struct {
	internalapi.ImageManagerService
	list []*runtimeapi.Image
}

func (f fakeImages) ListImages(context.Context, *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	return f.list, nil
}

// harness runs nodestatus.Run against a real API server with a fake clock.
type harness struct {
	t        *testing.T
	client   kubernetes.Interface
	clock    *clocktesting.FakeClock
	notReady atomic.Pointer[string]
	machine  atomic.Int64 // Machine() calls, one per status check
	pressure atomic.Pointer[[]v1.NodeConditionType]
	t0       time.Time
}

// start runs nodestatus.Run; setup, if not nil, prepares the API first.
func start(t *testing.T, setup func(kubernetes.Interface)) *harness {
	srv := apiservertest.Start(t, nil)
	h := &harness{t: t, client: srv.Clientset(t, true), t0: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	if setup != nil {
		setup(h.client)
	}
	h.clock = clocktesting.NewFakeClock(h.t0)
	msg := "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:no CNI config"
	h.notReady.Store(&msg)
	images := fakeImages{list: []*runtimeapi.Image{{Id: "sha256:1", Size: 4096, RepoTags: []string{"capstan.local/pause:3.10"}}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- nodestatus.Run(ctx, nodestatus.Options{
			Client: h.client, NodeName: "node-a", Runtime: fakeRuntime{}, Images: images,
			Clock: h.clock, Log: slog.New(slog.DiscardHandler), ControlPlane: true, InternalIP: "10.9.8.7",
			Reserved: v1.ResourceList{v1.ResourceMemory: resource.MustParse("1Gi")},
			Pressure: func() []v1.NodeConditionType {
				if p := h.pressure.Load(); p != nil {
					return *p
				}
				return nil
			},
			ReadyFunc: func(context.Context) error {
				if m := h.notReady.Load(); m != nil {
					return errors.New(*m)
				}
				return nil
			},
			Machine: func() (nodestatus.MachineInfo, error) {
				h.machine.Add(1)
				return nodestatus.MachineInfo{Hostname: "host-a", NumCPU: 4, MemoryBytes: 8 << 30,
					StorageBytes: 100 << 30, KernelVersion: "6.1.0", OSImage: "Debian GNU/Linux 12 (bookworm)",
					Architecture: "amd64", InternalIP: "192.0.2.1"}, nil
			},
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

// eventually polls the API (real time: the server is real) until cond holds.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) node() *v1.Node {
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), "node-a", metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return n
}

func (h *harness) lease() *coordinationv1.Lease {
	l, err := h.client.CoordinationV1().Leases("kube-node-lease").Get(context.Background(), "node-a", metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return l
}

func condition(n *v1.Node, t v1.NodeConditionType) v1.NodeCondition {
	for _, c := range n.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return v1.NodeCondition{}
}

func (h *harness) leaseRenewedAt(at time.Time) func() bool {
	return func() bool {
		l := h.lease()
		return l != nil && l.Spec.RenewTime != nil && l.Spec.RenewTime.Time.Equal(at)
	}
}

// step advances the fake clock once both tickers wait on it.
func (h *harness) step(d time.Duration) {
	h.eventually("tickers", h.clock.HasWaiters)
	h.clock.Step(d)
}

func TestRegistersNodeAndRenewsLease(t *testing.T) {
	h := start(t, nil)
	h.eventually("registered node with status", func() bool { n := h.node(); return n != nil && len(n.Status.Conditions) == 4 })
	h.eventually("lease", h.leaseRenewedAt(h.t0))
	n := h.node()
	checkRegistered(t, n)
	if r := condition(n, v1.NodeReady); r.Status != v1.ConditionFalse || r.Reason != "KubeletNotReady" || r.Message != *h.notReady.Load() {
		t.Fatalf("Ready = %+v, want False/KubeletNotReady with the ReadyFunc message", r)
	}
	l := h.lease()
	if *l.Spec.HolderIdentity != "node-a" || *l.Spec.LeaseDurationSeconds != 40 || len(l.OwnerReferences) != 1 ||
		l.OwnerReferences[0].Kind != "Node" || l.OwnerReferences[0].UID != n.UID {
		t.Fatalf("lease = %+v", l)
	}

	// The runtime network comes up: the next status check reports Ready.
	h.notReady.Store(nil)
	t1 := h.t0.Add(10 * time.Second)
	h.step(10 * time.Second)
	h.eventually("Ready=True", func() bool { return condition(h.node(), v1.NodeReady).Status == v1.ConditionTrue })
	h.eventually("lease renewed", h.leaseRenewedAt(t1))
	r := condition(h.node(), v1.NodeReady)
	if r.Reason != "KubeletReady" || r.Message != "kubelet is posting ready status" || !r.LastTransitionTime.Time.Equal(t1) {
		t.Fatalf("Ready = %+v", r)
	}
	if m := condition(h.node(), v1.NodeMemoryPressure); !m.LastTransitionTime.Time.Equal(h.t0) {
		t.Errorf("MemoryPressure transition moved to %v though its status did not change", m.LastTransitionTime)
	}

	// Nothing changes: the lease is renewed but the Node is not written
	// until the report frequency has passed; then the unchanged status is
	// posted with new heartbeats. The watch shows every write in between.
	rv := h.node().ResourceVersion
	w, err := h.client.CoreV1().Nodes().Watch(context.Background(), metav1.ListOptions{ResourceVersion: rv,
		FieldSelector: "metadata.name=node-a"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	checks := h.machine.Load()
	h.step(10 * time.Second)
	h.eventually("lease renewed again", h.leaseRenewedAt(t1.Add(10*time.Second)))
	h.eventually("status checked", func() bool { return h.machine.Load() > checks })
	t3 := t1.Add(10*time.Second + 5*time.Minute)
	h.step(5 * time.Minute)
	select {
	case ev := <-w.ResultChan():
		n, ok := ev.Object.(*v1.Node)
		if !ok {
			t.Fatalf("watch event %v %T", ev.Type, ev.Object)
		}
		if hb := condition(n, v1.NodeReady).LastHeartbeatTime; !hb.Time.Equal(t3) {
			t.Fatalf("node written with heartbeat %v before the report frequency passed (want first write at %v)", hb, t3)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no status report after 5 minutes")
	}
}

func checkRegistered(t *testing.T, n *v1.Node) {
	t.Helper()
	for k, want := range map[string]string{"kubernetes.io/hostname": "node-a", "kubernetes.io/os": "linux",
		"kubernetes.io/arch": "amd64", "node-role.kubernetes.io/control-plane": ""} {
		if got, ok := n.Labels[k]; !ok || got != want {
			t.Errorf("label %s = %q, %v; want %q", k, got, ok, want)
		}
	}
	for name, want := range map[v1.ResourceName]string{"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"} {
		if q := n.Status.Capacity[name]; q.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("capacity %s = %s, want %s", name, q.String(), want)
		}
	}
	if q := n.Status.Allocatable[v1.ResourceMemory]; q.Cmp(resource.MustParse("7Gi")) != 0 {
		t.Errorf("allocatable memory = %s, want 7Gi", q.String())
	}
	want := []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.9.8.7"}, {Type: v1.NodeHostName, Address: "host-a"}}
	if len(n.Status.Addresses) != 2 || n.Status.Addresses[0] != want[0] || n.Status.Addresses[1] != want[1] {
		t.Errorf("addresses = %v, want %v", n.Status.Addresses, want)
	}
	info := n.Status.NodeInfo
	if info.ContainerRuntimeVersion != "containerd://1.6.20" || info.KubeletVersion != nodestatus.DefaultKubeletVersion ||
		info.OSImage != "Debian GNU/Linux 12 (bookworm)" || info.OperatingSystem != "linux" || info.Architecture != "amd64" {
		t.Errorf("nodeInfo = %+v", info)
	}
	if len(n.Status.Images) != 1 || n.Status.Images[0].Names[0] != "capstan.local/pause:3.10" || n.Status.Images[0].SizeBytes != 4096 {
		t.Errorf("images = %+v", n.Status.Images)
	}
	if n.Status.DaemonEndpoints.KubeletEndpoint.Port != 10250 {
		t.Errorf("kubelet port = %d", n.Status.DaemonEndpoints.KubeletEndpoint.Port)
	}
}

func TestAdoptsExistingNodeAndReregistersAfterDelete(t *testing.T) {
	ctx := context.Background()
	h := start(t, func(c kubernetes.Interface) {
		pre := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a", Labels: map[string]string{"team": "x"}}}
		if _, err := c.CoreV1().Nodes().Create(ctx, pre, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	h.eventually("adopted node with status", func() bool { n := h.node(); return n != nil && len(n.Status.Conditions) == 4 })
	n := h.node()
	if n.Labels["team"] != "x" || n.Labels["kubernetes.io/hostname"] != "node-a" {
		t.Fatalf("labels = %v, want the existing ones plus the kubelet's", n.Labels)
	}
	h.eventually("lease", h.leaseRenewedAt(h.t0))

	if err := h.client.CoreV1().Nodes().Delete(ctx, "node-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("node gone", func() bool { return h.node() == nil })
	h.step(10 * time.Second) // status check notices the deletion
	h.step(10 * time.Second) // next tick registers again
	h.eventually("re-registered", func() bool {
		again := h.node()
		return again != nil && again.UID != n.UID && len(again.Status.Conditions) == 4
	})
	h.eventually("lease owned by the new node", func() bool {
		l := h.lease()
		return l != nil && len(l.OwnerReferences) == 1 && l.OwnerReferences[0].UID == h.node().UID
	})
}

func TestReportsPressureConditions(t *testing.T) {
	h := start(t, nil)
	h.notReady.Store(nil)
	h.eventually("first status", func() bool {
		n := h.node()
		return n != nil && condition(n, v1.NodeMemoryPressure).Status != ""
	})
	if c := condition(h.node(), v1.NodeMemoryPressure); c.Status != v1.ConditionFalse {
		t.Fatalf("MemoryPressure at start = %+v", c)
	}
	h.pressure.Store(&[]v1.NodeConditionType{v1.NodeMemoryPressure, v1.NodePIDPressure})
	h.step(10 * time.Second)
	h.eventually("MemoryPressure True", func() bool {
		n := h.node()
		return n != nil && condition(n, v1.NodeMemoryPressure).Status == v1.ConditionTrue
	})
	n := h.node()
	if c := condition(n, v1.NodeMemoryPressure); c.Reason != "KubeletHasInsufficientMemory" || !c.LastTransitionTime.Time.Equal(h.t0.Add(10*time.Second)) {
		t.Errorf("MemoryPressure = %+v", c)
	}
	if c := condition(n, v1.NodePIDPressure); c.Status != v1.ConditionTrue || c.Reason != "KubeletHasInsufficientPID" {
		t.Errorf("PIDPressure = %+v", c)
	}
	if c := condition(n, v1.NodeDiskPressure); c.Status != v1.ConditionFalse {
		t.Errorf("DiskPressure = %+v", c)
	}
}
