package importcheck

import "testing"

func TestInTree(t *testing.T) {
	for _, tc := range []struct {
		dep, tree string
		want      bool
	}{
		{"go.etcd.io/etcd/client/v3", "go.etcd.io/", true},
		{"github.com/x/internal/storage", "github.com/x/internal/storage", true},
		{"github.com/x/internal/storage/cacher", "github.com/x/internal/storage", true},
		{"github.com/x/internal/storagex", "github.com/x/internal/storage", false},
		{"net/http/httptrace", "net/http", true},
		{"net/netip", "net/http", false},
	} {
		if got := inTree(tc.dep, tc.tree); got != tc.want {
			t.Errorf("inTree(%q, %q) = %v, want %v", tc.dep, tc.tree, got, tc.want)
		}
	}
}

func TestForbidFindsARealDependency(t *testing.T) {
	// This package depends on the testing package and not on net/http.
	Forbid(t, "github.com/capstan/capstan/internal/testutil/importcheck", "testing", "net/http")
}

// recorder keeps the errors Forbid reports instead of failing the test.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Errorf(string, ...any) { r.errors++ }

func TestForbidReportsAForbiddenDependency(t *testing.T) {
	r := &recorder{TB: t}
	Forbid(r, "github.com/capstan/capstan/internal/testutil/importcheck", "testing", "os/exec", "strings")
	if r.errors != 2 {
		t.Errorf("Forbid reported %d forbidden dependencies, want 2 (os/exec and strings)", r.errors)
	}
}
