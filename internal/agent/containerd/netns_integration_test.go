package containerd_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/capstan/capstan/internal/agent/containerd"
)

// TestStartInNetworkNamespace starts containerd inside a node network
// namespace (as several nodes on one machine do) and checks it answers and
// really runs there.
func TestStartInNetworkNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: " + containerd.InstallHint)
	}
	name := fmt.Sprintf("capstan-test-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete netns %s: %v: %s", name, err, out)
		}
	})
	ctx := context.Background()
	proc, err := containerd.Start(ctx, containerd.Options{DataDir: t.TempDir(), NetNS: "/run/netns/" + name,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop(ctx) })
	inNS, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", proc.PID()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ip", "netns", "exec", name, "readlink", "/proc/self/ns/net").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(out)); inNS != want {
		t.Fatalf("containerd runs in %s, want the node namespace %s", inNS, want)
	}
}
