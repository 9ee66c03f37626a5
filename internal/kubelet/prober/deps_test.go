package prober_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps the kubelet a pure API client: no storage, no
// etcd, no API server internals, no k8s.io/kubernetes.
func TestImportBoundaries(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/capstan/capstan/internal/kubelet/prober").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "k8s.io/api/core/v1") {
		t.Fatalf("go list output does not look like a dependency list:\n%s", out)
	}
	forbidden := []string{
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
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
