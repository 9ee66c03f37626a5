package audit

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries: audit knows neither storage, etcd nor the API
// server's routing; the API server calls it, not the other way round.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/capstan/capstan/internal/apiserver/audit").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "go.etcd.io/"),
			dep == "github.com/capstan/capstan/internal/apiserver",
			strings.HasPrefix(dep, "github.com/capstan/capstan/internal/storage"):
			t.Errorf("audit imports %s", dep)
		}
	}
}
