package encryption

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries: encryption transforms bytes; it reaches neither
// etcd nor HTTP nor the API server.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/capstan/capstan/internal/storage/encryption").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "go.etcd.io/"), dep == "net/http",
			strings.HasPrefix(dep, "github.com/capstan/capstan/internal/apiserver"),
			dep == "github.com/capstan/capstan/internal/storage":
			t.Errorf("encryption imports %s", dep)
		}
	}
}
