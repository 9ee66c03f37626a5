package importcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Forbid fails t for every dependency of pkg (a package path or pattern
// such as ".../scheduler/...") that lies in one of the forbidden trees: a
// path ending in "/" forbids everything with that prefix, any other path
// itself and the packages below it. pkg's own tree is never forbidden.
// sentinel must be among the dependencies, which proves the list is real.
// The test is skipped when the go tool is not on PATH.
func Forbid(t testing.TB, pkg, sentinel string, forbidden ...string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	deps := strings.Fields(string(out))
	own := strings.TrimSuffix(pkg, "/...")
	found := false
	for _, dep := range deps {
		found = found || dep == sentinel
		if inTree(dep, own) {
			continue
		}
		for _, f := range forbidden {
			if inTree(dep, f) {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
	if !found {
		t.Fatalf("go list -deps %s does not name %s: not a real dependency list?\n%s", pkg, sentinel, out)
	}
}

// inTree reports whether dep is tree (or below it, for a tree not ending
// in "/").
func inTree(dep, tree string) bool {
	if strings.HasSuffix(tree, "/") {
		return strings.HasPrefix(dep, tree)
	}
	return dep == tree || strings.HasPrefix(dep, tree+"/")
}
