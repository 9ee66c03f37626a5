package volume_test

import (
	"testing"

	"github.com/capstan/capstan/internal/testutil/importcheck"
)

// TestImportBoundaries keeps the kubelet a pure API client: no storage, no
// etcd, no API server internals, no k8s.io/kubernetes.
func TestImportBoundaries(t *testing.T) {
	importcheck.Forbid(t, "github.com/capstan/capstan/internal/kubelet/volume", "k8s.io/api/core/v1",
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"go.etcd.io/",
		"k8s.io/kubernetes/")
}
