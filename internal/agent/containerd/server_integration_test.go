package containerd_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/capstan/capstan/internal/kubelet/images"
	testimages "github.com/capstan/capstan/test/images"
)

// TestServerImageServesOnPodIP runs the Go test server in a pod and reaches
// it from the host over the CNI bridge.
func TestServerImageServesOnPodIP(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	img, err := testimages.BuildServer(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := images.Import(ctx, n.proc.Endpoint(), img.Tar); err != nil {
		t.Fatal(err)
	}
	podID, podCfg := n.runSandbox(t, "web")
	st, err := n.rs.PodSandboxStatus(ctx, podID, false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cID, err := n.rs.CreateContainer(ctx, podID, &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "web"},
		Image:    &runtimeapi.ImageSpec{Image: img.Ref},
		LogPath:  filepath.Join("web", "0.log"),
	}, podCfg)
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := n.rs.StartContainer(ctx, cID); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	t.Cleanup(func() {
		if err := n.rs.StopContainer(ctx, cID, 5); err != nil {
			t.Errorf("StopContainer: %v", err)
		}
	})
	url := "http://" + st.GetStatus().GetNetwork().GetIp() + ":8080/healthz"
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
				t.Fatalf("GET %s = %d %q", url, resp.StatusCode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("MEASURE CreateContainer to serving HTTP: %v", time.Since(start))
}
