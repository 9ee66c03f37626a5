package kubelet_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/capstan/capstan/internal/kubelet/imagegc"
	"github.com/capstan/capstan/internal/kubelet/images"
)

// TestImageGCOnContainerd runs the image collector against a real
// containerd: an image no container uses is deleted, while the busybox
// image of a (created, never started) container and the pinned pause
// image stay; with the image file system reported full and nothing left to
// delete, a collection fails with upstream's FreeDiskSpaceFailed event.
func TestImageGCOnContainerd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := startCRINode(t, ctx)
	unused := "capstan.local/test/unused:1"
	tarPath := filepath.Join(t.TempDir(), "unused.tar")
	f, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := images.WriteDockerArchive(f, unused, []images.File{{Path: "hello", Data: []byte("unused image")}}, []string{"/hello"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := images.Import(ctx, n.endpoint, tarPath); err != nil {
		t.Fatal(err)
	}

	createIdleContainer(t, ctx, n, n.image)

	var mu sync.Mutex
	var events []string
	full := false
	m, err := imagegc.NewManager(imagegc.Options{
		Policy: imagegc.Policy{HighThresholdPercent: 85, LowThresholdPercent: 80}, Images: n.is, Runtime: n.rs,
		Pinned: []string{images.PauseImage},
		FsStats: func(context.Context) (int64, int64, error) {
			if full {
				return 1 << 30, 0, nil
			}
			return 1 << 30, 1 << 29, nil
		},
		NodeEvent: func(typ, reason, msg string) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, typ+" "+reason+" "+msg)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.GarbageCollect(ctx); err != nil {
		t.Fatalf("collection at 50%% usage: %v", err)
	}
	if !hasImage(t, n, unused) {
		t.Fatal("an image was deleted below the high threshold")
	}
	if err := m.DeleteUnusedImages(ctx); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]bool{unused: false, n.image: true, images.PauseImage: true} {
		if got := hasImage(t, n, ref); got != want {
			t.Errorf("image %s present = %v, want %v", ref, got, want)
		}
	}
	full = true
	err = m.GarbageCollect(ctx)
	if err == nil || !strings.Contains(err.Error(), "but only found 0 bytes eligible to free") {
		t.Errorf("collection of a full file system with nothing to delete: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || !strings.HasPrefix(events[0], "Warning FreeDiskSpaceFailed Failed to garbage collect required amount of images. Attempted to free ") {
		t.Errorf("events = %q", events)
	}
}

func hasImage(t *testing.T, n *criNode, ref string) bool {
	t.Helper()
	imgs, err := n.is.ListImages(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		if slices.Contains(img.RepoTags, ref) {
			return true
		}
	}
	return false
}

// createIdleContainer creates (without starting) a container of image in a
// host-network sandbox; the sandbox goes in t.Cleanup.
func createIdleContainer(t *testing.T, ctx context.Context, n *criNode, image string) {
	t.Helper()
	sbCfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "gc", Namespace: "default", Uid: "uid-gc"},
		LogDirectory: filepath.Join(n.dataDir, "pods-logs", "gc"),
		Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
			NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE}}},
	}
	if err := os.MkdirAll(sbCfg.LogDirectory, 0o755); err != nil {
		t.Fatal(err)
	}
	sb, err := n.rs.RunPodSandbox(ctx, sbCfg, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.rs.StopPodSandbox(context.Background(), sb)
		_ = n.rs.RemovePodSandbox(context.Background(), sb)
	})
	_, err = n.rs.CreateContainer(ctx, sb, &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "main"}, Image: &runtimeapi.ImageSpec{Image: image},
		Command: []string{"sleep", "3600"}, LogPath: "main.log"}, sbCfg)
	if err != nil {
		t.Fatal(err)
	}
}
