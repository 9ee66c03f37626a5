package proxy_test

import (
	"testing"

	"github.com/capstan/capstan/internal/testutil/importcheck"
)

// TestImportBoundaries keeps the proxy a pure API client: no storage, no
// etcd, no API server internals, no k8s.io/kubernetes, no other component.
func TestImportBoundaries(t *testing.T) {
	importcheck.Forbid(t, "github.com/capstan/capstan/internal/proxy", "sigs.k8s.io/knftables",
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"github.com/capstan/capstan/internal/kubelet",
		"go.etcd.io/",
		"k8s.io/kubernetes/")
}
