package proxy

import (
	"testing"
)

// TestGeneratorReusesUnchangedServices: a generator hands back the same part
// for a Service whose objects are the same, and builds a new one when its
// EndpointSlice is a new object; either way the output equals Ruleset's.
func TestGeneratorReusesUnchangedServices(t *testing.T) {
	cfg, _, _ := loadInput(t, "testdata/clusterip.yaml")
	svcs, slices := benchCluster(5, 3)
	g := newGenerator(cfg)
	first := g.rules(svcs, slices)
	changed := bumpEndpoint(slices, 2)
	second := g.rules(svcs, changed)
	if len(first.parts) != len(second.parts) {
		t.Fatalf("%d parts, then %d", len(first.parts), len(second.parts))
	}
	for i := range first.parts {
		// parts[0] is the base; service i-1 is svc-(i-1), sorted by name.
		same := first.parts[i] == second.parts[i]
		if want := i != 3; same != want {
			t.Errorf("part %d (%s) reused: %v, want %v", i, second.parts[i].name, same, want)
		}
	}
	if got, want := dump(t, second.flat()), dump(t, Ruleset(cfg, svcs, changed)); got != want {
		t.Errorf("generator output differs from Ruleset:\n%s\nwant:\n%s", got, want)
	}
}
