package containerd_test

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
	"syscall"
	"testing"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/capstan/capstan/internal/agent/containerd"
	"github.com/capstan/capstan/internal/kubelet/cri"
	"github.com/capstan/capstan/internal/kubelet/images"
	testimages "github.com/capstan/capstan/test/images"
)

// node is one containerd under test with its CRI clients.
type node struct {
	proc    *containerd.Process
	rs      internalapi.RuntimeService
	is      internalapi.ImageManagerService
	dataDir string
	cidr    netip.Prefix
}

// startNode starts containerd in a temp dir with a CNI config, connects CRI
// and imports the pause image; everything is undone in t.Cleanup.
func startNode(t *testing.T) *node {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containerd")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: " + containerd.InstallHint)
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	h := fnv.New32a()
	h.Write([]byte(dataDir))
	cidr := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", 200+h.Sum32()%50, h.Sum32()>>8%250))
	confDir := filepath.Join(dataDir, "cni", "net.d")
	if err := containerd.WriteCNIConfig(confDir, cidr.String(), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeBridge(t, containerd.NamesForConfDir(confDir).Bridge) })
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	start := time.Now()
	proc, err := containerd.Start(ctx, containerd.Options{DataDir: dataDir, Log: log, CNIConfDir: confDir,
		SandboxImage: images.PauseImage})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MEASURE containerd start to CRI Version answer: %v", time.Since(start))
	t.Cleanup(func() {
		if err := proc.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	rs, is, err := cri.Connect(ctx, proc.Endpoint(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close(ctx); is.Close(ctx) })
	start = time.Now()
	if err := images.EnsurePause(ctx, is, proc.Endpoint(), filepath.Join(dataDir, "tmp")); err != nil {
		t.Fatal(err)
	}
	t.Logf("MEASURE pause image import: %v", time.Since(start))
	// Present now: a second call must not write or import anything (its
	// work dir cannot even be created).
	if err := images.EnsurePause(ctx, is, proc.Endpoint(), "/dev/null/unusable"); err != nil {
		t.Fatalf("EnsurePause with the image present: %v", err)
	}
	return &node{proc: proc, rs: rs, is: is, dataDir: dataDir, cidr: cidr}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func removeBridge(t *testing.T, name string) {
	if err := exec.Command("ip", "link", "show", name).Run(); err != nil {
		return
	}
	if out, err := exec.Command("ip", "link", "del", name).CombinedOutput(); err != nil {
		t.Errorf("remove bridge %s: %v: %s", name, err, out)
	}
}

// runSandbox starts a pod sandbox and registers its removal.
func (n *node) runSandbox(t *testing.T, name string) (string, *runtimeapi.PodSandboxConfig) {
	t.Helper()
	ctx := context.Background()
	uid := fmt.Sprintf("uid-%s-%d", name, time.Now().UnixNano())
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "default", Uid: uid},
		Hostname:     name,
		LogDirectory: filepath.Join(n.dataDir, "logs", "pods", "default_"+name+"_"+uid),
		Labels: map[string]string{"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": "default",
			"io.kubernetes.pod.uid": uid},
		Linux: &runtimeapi.LinuxPodSandboxConfig{},
	}
	if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	id, err := n.rs.RunPodSandbox(ctx, cfg, "")
	if err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	t.Logf("MEASURE RunPodSandbox: %v", time.Since(start))
	t.Cleanup(func() {
		if err := n.rs.StopPodSandbox(ctx, id); err != nil {
			t.Errorf("StopPodSandbox: %v", err)
		}
		if err := n.rs.RemovePodSandbox(ctx, id); err != nil {
			t.Errorf("RemovePodSandbox: %v", err)
		}
	})
	return id, cfg
}

func TestSandboxAndContainer(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	podID, podCfg := n.runSandbox(t, "echo")
	st, err := n.rs.PodSandboxStatus(ctx, podID, false)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := netip.ParseAddr(st.GetStatus().GetNetwork().GetIp())
	if err != nil || !n.cidr.Contains(ip) || st.GetStatus().GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Fatalf("sandbox IP %q (want in %s), state %v, err %v", st.GetStatus().GetNetwork().GetIp(), n.cidr,
			st.GetStatus().GetState(), err)
	}

	img, err := testimages.BuildBusybox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := images.Import(ctx, n.proc.Endpoint(), img.Tar); err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(podCfg.LogDirectory, "echo")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cID, err := n.rs.CreateContainer(ctx, podID, &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "echo"},
		Image:    &runtimeapi.ImageSpec{Image: img.Ref},
		Command:  []string{"/bin/sh", "-c", "echo hello from $(hostname)"},
		LogPath:  "echo/0.log",
		Labels:   map[string]string{"io.kubernetes.container.name": "echo"},
	}, podCfg)
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := n.rs.StartContainer(ctx, cID); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	waitExited(t, n.rs, cID)
	logData, err := os.ReadFile(filepath.Join(logDir, "0.log"))
	if err != nil || !strings.Contains(string(logData), "stdout F hello from echo") {
		t.Fatalf("container log = %q, %v; want the echoed line", logData, err)
	}
	if err := n.rs.RemoveContainer(ctx, cID); err != nil {
		t.Fatal(err)
	}
	restartSurvives(t, n, podID)
}

func waitExited(t *testing.T, rs internalapi.RuntimeService, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		st, err := rs.ContainerStatus(context.Background(), id, false)
		if err != nil {
			t.Fatal(err)
		}
		if s := st.GetStatus(); s.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
			if s.GetExitCode() != 0 {
				t.Fatalf("container exited %d: %s %s", s.GetExitCode(), s.GetReason(), s.GetMessage())
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("container did not exit in 20s")
}

// restartSurvives kills containerd and checks that it is restarted and that
// the sandbox is still there.
func restartSurvives(t *testing.T, n *node, podID string) {
	t.Helper()
	old := n.proc.PID()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if pid := n.proc.PID(); pid != 0 && pid != old {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := n.rs.PodSandboxStatus(ctx, podID, false)
			cancel()
			if err == nil {
				if st.GetStatus().GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
					t.Fatalf("sandbox not ready after containerd restart: %v", st.GetStatus().GetState())
				}
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("containerd not back within 30s after SIGKILL")
}
