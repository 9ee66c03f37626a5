package server

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps etcd and the object store private to the API
// server: every other component is a client of the API only.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json", "github.com/capstan/capstan/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Deps       []string
	}
	forbidden := []string{"github.com/capstan/capstan/internal/storage", "github.com/capstan/capstan/internal/etcd", "go.etcd.io/"}
	allowed := func(p string) bool {
		// Test harnesses (…test packages, as net/http/httptest) start real
		// API servers for tests; components never import them.
		if strings.HasSuffix(p, "test") {
			return true
		}
		for _, prefix := range []string{"github.com/capstan/capstan/internal/apiserver", "github.com/capstan/capstan/internal/storage",
			"github.com/capstan/capstan/internal/etcd", "github.com/capstan/capstan/internal/server", "github.com/capstan/capstan/cmd/",
			"github.com/capstan/capstan/test/"} {
			if strings.HasPrefix(p, prefix) {
				return true
			}
		}
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, "github.com/capstan/capstan/") || allowed(p.ImportPath) {
			continue
		}
		checked++
		for _, d := range p.Deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s imports %s; only the API server may reach etcd", p.ImportPath, d)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no component packages were checked")
	}
}
