package dns

import (
	"testing"

	"github.com/capstan/capstan/internal/testutil/importcheck"
)

// TestImportBoundaries checks that cluster DNS is a client of the API only:
// no storage, no etcd, no API server internals (its tests may use them).
func TestImportBoundaries(t *testing.T) {
	importcheck.Forbid(t, "github.com/capstan/capstan/internal/dns", "github.com/miekg/dns",
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"go.etcd.io/",
		"k8s.io/kubernetes/",
		"k8s.io/apiserver/")
}
