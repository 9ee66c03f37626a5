package encryption

import (
	"testing"

	"github.com/capstan/capstan/internal/testutil/importcheck"
)

// TestImportBoundaries: encryption transforms bytes; it reaches neither
// etcd nor HTTP nor the API server.
func TestImportBoundaries(t *testing.T) {
	importcheck.Forbid(t, "github.com/capstan/capstan/internal/storage/encryption", "crypto/aes",
		"go.etcd.io/",
		"net/http",
		"github.com/capstan/capstan/internal/apiserver",
		"github.com/capstan/capstan/internal/storage")
}
