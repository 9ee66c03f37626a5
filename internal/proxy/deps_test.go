package proxy_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps the proxy a pure API client: no storage, no
// etcd, no API server internals, no k8s.io/kubernetes, no other component.
func TestImportBoundaries(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/capstan/capstan/internal/proxy").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sigs.k8s.io/knftables") {
		t.Fatalf("go list output does not look like the proxy's dependency list:\n%s", out)
	}
	forbidden := []string{
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"github.com/capstan/capstan/internal/kubelet",
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
