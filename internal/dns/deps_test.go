package dns

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries checks that cluster DNS is a client of the API only:
// no storage, no etcd, no API server internals (its tests may use them).
func TestImportBoundaries(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/capstan/capstan/internal/dns").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned too little: %q", out)
	}
	forbidden := []string{
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"go.etcd.io/",
		"k8s.io/kubernetes/",
		"k8s.io/apiserver/",
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("internal/dns depends on %s", dep)
			}
		}
	}
}
