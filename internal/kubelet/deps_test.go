package kubelet_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps the kubelet a client of the API and of CRI:
// no storage, etcd or API server internals, no k8s.io/kubernetes, and no
// dependency on the volume or prober implementations (only on the
// interfaces declared here).
func TestImportBoundaries(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/capstan/capstan/internal/kubelet").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "k8s.io/cri-api/pkg/apis") {
		t.Fatalf("go list output does not look like a dependency list:\n%s", out)
	}
	forbidden := []string{
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"github.com/capstan/capstan/internal/kubelet/volume",
		"github.com/capstan/capstan/internal/kubelet/prober",
		"go.etcd.io/",
		"k8s.io/kubernetes/",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("imports %s", dep)
			}
		}
	}
}
