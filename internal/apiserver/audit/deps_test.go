package audit

import (
	"testing"

	"github.com/capstan/capstan/internal/testutil/importcheck"
)

// TestImportBoundaries: audit knows neither storage, etcd nor the API
// server's routing; the API server calls it, not the other way round.
func TestImportBoundaries(t *testing.T) {
	importcheck.Forbid(t, "github.com/capstan/capstan/internal/apiserver/audit", "gopkg.in/natefinch/lumberjack.v2",
		"go.etcd.io/",
		"github.com/capstan/capstan/internal/apiserver",
		"github.com/capstan/capstan/internal/storage")
}
