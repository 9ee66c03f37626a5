package history_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps history and the two controllers built on it
// (daemonset, statefulset) plain API clients: no storage, etcd or API
// server internals, no k8s.io/kubernetes, and no other controller (the
// shared worker shell is not one).
func TestImportBoundaries(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	const base = "github.com/capstan/capstan/internal/controller/"
	for _, pkg := range []string{"history", "daemonset", "statefulset"} {
		out, err := exec.Command(goBin, "list", "-deps", base+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		if !strings.Contains(string(out), "k8s.io/client-go/kubernetes") {
			t.Fatalf("go list %s does not look like a dependency list:\n%s", pkg, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			bad := strings.HasPrefix(dep, "github.com/capstan/capstan/internal/storage") ||
				strings.HasPrefix(dep, "github.com/capstan/capstan/internal/etcd") ||
				strings.HasPrefix(dep, "github.com/capstan/capstan/internal/apiserver") ||
				strings.HasPrefix(dep, "go.etcd.io/") || strings.HasPrefix(dep, "k8s.io/kubernetes/") ||
				(strings.HasPrefix(dep, base) && dep != base+"history" && dep != base+"worker" && dep != base+pkg)
			if bad {
				t.Errorf("%s imports %s", pkg, dep)
			}
		}
	}
}
