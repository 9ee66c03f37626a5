package kubelet_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/capstan/capstan/internal/agent/containerd"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/kubelet"
	"github.com/capstan/capstan/internal/kubelet/cri"
	"github.com/capstan/capstan/internal/kubelet/images"
	testimages "github.com/capstan/capstan/test/images"
)

type nopVolumes struct{}

func (nopVolumes) SetUp(context.Context, *v1.Pod) (map[string]string, error) {
	return map[string]string{}, nil
}
func (nopVolumes) TearDown(context.Context, types.UID) error { return nil }

type nopProbes struct{}

func (nopProbes) UpdatePod(*v1.Pod, *v1.PodStatus) {}
func (nopProbes) RemovePod(types.UID)              {}
func (nopProbes) Ready(types.UID, string) bool     { return true }
func (nopProbes) Started(types.UID, string) bool   { return true }

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestPodsOnContainerd runs busybox pods through the kubelet on a real
// containerd against a real API server: a long-running pod becomes Running
// and Ready with a pod IP, a failing Never pod ends Failed with its exit code
// and termination message, and deleting the running pod stops it, removes
// its sandbox and deletes the pod object.
// criNode is a containerd started for a test, with its CRI clients and the
// busybox test image imported.
type criNode struct {
	rs      internalapi.RuntimeService
	is      internalapi.ImageManagerService
	image   string
	cidr    netip.Prefix
	dataDir string
	log     *slog.Logger
	// endpoint is containerd's socket, for images.Import.
	endpoint string
}

// startCRINode starts containerd in a temp dir (skipping the test without
// root, containerd or busybox-static) and removes everything in t.Cleanup.
func startCRINode(t *testing.T, ctx context.Context) *criNode {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containerd")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: " + containerd.InstallHint)
	}
	if _, err := os.Stat(testimages.BusyboxPath); err != nil {
		t.Skip("busybox-static not installed")
	}
	log := slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dataDir := t.TempDir()
	h := fnv.New32a()
	h.Write([]byte(dataDir))
	cidr := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", 200+h.Sum32()%50, h.Sum32()>>8%250))
	confDir := filepath.Join(dataDir, "cni", "net.d")
	if err := containerd.WriteCNIConfig(confDir, cidr.String(), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if br := containerd.NamesForConfDir(confDir).Bridge; exec.Command("ip", "link", "show", br).Run() == nil {
			_ = exec.Command("ip", "link", "del", br).Run()
		}
	})
	proc, err := containerd.Start(ctx, containerd.Options{DataDir: dataDir, Log: log, CNIConfDir: confDir, SandboxImage: images.PauseImage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.Stop(context.Background()) })
	rs, is, err := cri.Connect(ctx, proc.Endpoint(), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := images.EnsurePause(ctx, is, proc.Endpoint(), filepath.Join(dataDir, "tmp")); err != nil {
		t.Fatal(err)
	}
	img, err := testimages.BuildBusybox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := images.Import(ctx, proc.Endpoint(), img.Tar); err != nil {
		t.Fatal(err)
	}

	return &criNode{rs: rs, is: is, image: img.Ref, cidr: cidr, dataDir: dataDir, log: log, endpoint: proc.Endpoint()}
}

func TestPodsOnContainerd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := startCRINode(t, ctx)
	rs, is, log, dataDir, cidr := n.rs, n.is, n.log, n.dataDir, n.cidr
	img := struct{ Ref string }{n.image}
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, false)
	// startKubelet runs a kubelet until the returned stop is called.
	startKubelet := func() (stop func()) {
		k, err := kubelet.New(kubelet.Config{NodeName: "node1", Client: client, Runtime: rs, Images: is,
			Volumes: nopVolumes{}, Probes: nopProbes{}, Recorder: record.NewFakeRecorder(1000), Log: log,
			RootDir: filepath.Join(dataDir, "kubelet"), LogDir: filepath.Join(dataDir, "pods-logs"), HostIPs: []string{"127.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		kctx, kcancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- k.Run(kctx) }()
		return func() {
			kcancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	stop := startKubelet()
	t.Cleanup(func() {
		// Whatever a failed test left: stop and remove every sandbox before containerd goes.
		sbs, _ := rs.ListPodSandbox(context.Background(), nil)
		for _, sb := range sbs {
			_ = rs.StopPodSandbox(context.Background(), sb.Id)
			_ = rs.RemovePodSandbox(context.Background(), sb.Id)
		}
	})

	mkPod := func(name string, policy v1.RestartPolicy, script string) *v1.Pod {
		p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: v1.PodSpec{
			NodeName: "node1", RestartPolicy: policy, TerminationGracePeriodSeconds: ptr(int64(2)),
			Containers: []v1.Container{{Name: "main", Image: img.Ref, ImagePullPolicy: v1.PullNever,
				Command: []string{"/bin/sh", "-c", script}, Env: []v1.EnvVar{{Name: "POD", ValueFrom: &v1.EnvVarSource{
					FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}}}}
		created, err := client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return created
	}
	web := mkPod("web", v1.RestartPolicyAlways, "trap 'exit 0' TERM; while true; do sleep 1; done")
	mkPod("fail", v1.RestartPolicyNever, "echo \"bye from $POD\" > /dev/termination-log; exit 3")

	got := waitPod(t, client, "web", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning && p.Status.PodIP != "" })
	got0 := got
	if ip, err := netip.ParseAddr(got.Status.PodIP); err != nil || !cidr.Contains(ip) {
		t.Errorf("pod IP %q not in %s", got.Status.PodIP, cidr)
	}
	if cs := got.Status.ContainerStatuses[0]; !strings.HasPrefix(cs.ContainerID, "containerd://") || cs.State.Running == nil {
		t.Errorf("container status = %+v", cs)
	}
	got = waitPod(t, client, "fail", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodFailed })
	term := got.Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 3 || term.Reason != "Error" || term.Message != "bye from fail\n" {
		t.Errorf("terminated = %+v", term)
	}

	// A restarted kubelet adopts the running container instead of restarting it.
	stop()
	stop = startKubelet()
	defer func() { stop() }()
	mkPod("later", v1.RestartPolicyAlways, "sleep 3600")
	waitPod(t, client, "later", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning })
	again := waitPod(t, client, "web", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning })
	before, after := got0.Status.ContainerStatuses[0], again.Status.ContainerStatuses[0]
	if after.ContainerID != before.ContainerID || after.RestartCount != 0 || after.State.Running == nil {
		t.Errorf("after kubelet restart: %s restarts %d (was %s)", after.ContainerID, after.RestartCount, before.ContainerID)
	}

	if err := client.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, client, "web")
	sbs, err := rs.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": string(web.UID)}})
	if err != nil || len(sbs) != 0 {
		t.Errorf("sandboxes of the deleted pod: %v (%v)", sbs, err)
	}
	if err := client.CoreV1().Pods("default").Delete(ctx, "fail", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, client, "fail")
	if err := client.CoreV1().Pods("default").Delete(ctx, "later", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	waitNoSandboxes(t, rs)
}

// waitNoSandboxes waits until the kubelet has removed every sandbox (a pod
// deleted with grace 0 is gone from the API at once: its sandbox goes as an
// orphan).
func waitNoSandboxes(t *testing.T, rs internalapi.RuntimeService) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sbs, err := rs.ListPodSandbox(context.Background(), nil)
		if err == nil && len(sbs) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("sandboxes left behind")
}

func ptr[T any](v T) *T { return &v }

func waitPod(t *testing.T, c kubernetes.Interface, name string, cond func(*v1.Pod) bool) *v1.Pod {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last *v1.Pod
	for time.Now().Before(deadline) {
		p, err := c.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			last = p
			if cond(p) {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s did not reach the condition; last status: %+v", name, last.Status)
	return nil
}

func waitGone(t *testing.T, c kubernetes.Interface, name string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, err := c.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s was not deleted", name)
}
