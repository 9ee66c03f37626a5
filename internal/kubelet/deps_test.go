package kubelet_test

import (
	"testing"

	"github.com/capstan/capstan/internal/testutil/importcheck"
)

// TestImportBoundaries keeps the kubelet a client of the API and of CRI:
// no storage, etcd or API server internals, no k8s.io/kubernetes, and no
// dependency on the volume or prober implementations (only on the
// interfaces declared here).
func TestImportBoundaries(t *testing.T) {
	importcheck.Forbid(t, "github.com/capstan/capstan/internal/kubelet", "k8s.io/cri-api/pkg/apis",
		"github.com/capstan/capstan/internal/storage",
		"github.com/capstan/capstan/internal/etcd",
		"github.com/capstan/capstan/internal/apiserver",
		"github.com/capstan/capstan/internal/kubelet/volume",
		"github.com/capstan/capstan/internal/kubelet/prober",
		"go.etcd.io/",
		"k8s.io/kubernetes/")
}
