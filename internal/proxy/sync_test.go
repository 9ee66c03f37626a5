package proxy

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"
)

// TestSyncerMatchesFullApply: for every pair of golden inputs, an
// incremental sync of B over A leaves exactly what B applied to an empty
// table leaves, and syncing B again sends nothing.
func TestSyncerMatchesFullApply(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(inputs) < 2 {
		t.Fatalf("need at least two testdata inputs: %v", err)
	}
	rulesets := map[string]*Rules{}
	for _, in := range inputs {
		cfg, svcs, slices := loadInput(t, in)
		rulesets[filepath.Base(in)] = Ruleset(cfg, svcs, slices)
	}
	for a, ra := range rulesets {
		for b, rb := range rulesets {
			t.Run(a+"_then_"+b, func(t *testing.T) {
				fake := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
				ctx := context.Background()
				rec := &recordingTables{tables: knftablesTables{fake}}
				s := newSyncer(rec)
				if err := s.sync(ctx, ra); err != nil {
					t.Fatalf("sync %s: %v", a, err)
				}
				if err := s.sync(ctx, rb); err != nil {
					t.Fatalf("sync %s over %s: %v", b, a, err)
				}
				if got, want := sortedLines(fake.Dump()), sortedLines(dump(t, rb)); got != want {
					t.Errorf("after %s then %s:\n%s\nwant (fresh %s):\n%s", a, b, got, b, want)
				}
				rec.last = nil
				if err := s.sync(ctx, rb); err != nil {
					t.Fatal(err)
				}
				if rec.last != nil {
					t.Errorf("an unchanged ruleset still needs %d operations:\n%s", rec.last.NumOperations(), rec.last)
				}
			})
		}
	}
}

// TestSyncerEndpointChangeIsSmall: replacing one endpoint of one service
// among many rewrites only that service's chains and elements.
func TestSyncerEndpointChangeIsSmall(t *testing.T) {
	cfg, _, _ := loadInput(t, "testdata/clusterip.yaml")
	svcs, slices := benchCluster(100, 10)
	fake := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	rec := &recordingTables{tables: knftablesTables{fake}}
	s := newSyncer(rec)
	ctx := context.Background()
	g := newGenerator(cfg)
	full := g.rules(svcs, slices)
	if err := s.sync(ctx, full); err != nil {
		t.Fatal(err)
	}
	changedSlices := bumpEndpoint(slices, 7)
	changed := g.rules(svcs, changedSlices)
	if err := s.sync(ctx, changed); err != nil {
		t.Fatal(err)
	}
	// flush + rules of the service chain, delete + add of the hairpin
	// element: a handful, not thousands.
	if n, whole := rec.last.NumOperations(), len(full.flat().Rules)+len(full.flat().Elements); n == 0 || n > 10 {
		t.Errorf("endpoint change needs %d operations (whole ruleset %d):\n%s", n, whole, rec.last)
	}
	if got, want := sortedLines(fake.Dump()), sortedLines(dump(t, Ruleset(cfg, svcs, changedSlices))); got != want {
		t.Errorf("after the endpoint change:\n%s\nwant:\n%s", got, want)
	}
}

// TestSyncerFailureForcesFullSync: after a failed transaction the syncer
// no longer trusts its snapshot.
func TestSyncerFailureForcesFullSync(t *testing.T) {
	cfg, svcs, slices := loadInput(t, "testdata/clusterip.yaml")
	r := Ruleset(cfg, svcs, slices)
	fake := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	s := newSyncer(knftablesTables{fake})
	ctx := context.Background()
	if err := s.sync(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Someone deletes the table behind the proxy's back: the incremental
	// transaction fails, the next sync is full and restores everything.
	if err := (knftablesTables{fake}).deleteTable(ctx); err != nil {
		t.Fatal(err)
	}
	cfg2, svcs2, slices2 := loadInput(t, "testdata/nodeport.yaml")
	r2 := Ruleset(cfg2, svcs2, slices2)
	if err := s.sync(ctx, r2); err == nil {
		t.Fatal("incremental sync into a deleted table succeeded")
	}
	if s.last != nil {
		t.Fatal("failed sync kept its snapshot")
	}
	if err := s.sync(ctx, r2); err != nil {
		t.Fatalf("full sync after failure: %v", err)
	}
	if got, want := sortedLines(fake.Dump()), sortedLines(dump(t, r2)); got != want {
		t.Errorf("after recovery:\n%s\nwant:\n%s", got, want)
	}
}

// sortedLines sorts a dump's lines: the fake lists set elements in the
// order they were added, which an incremental sync changes.
func sortedLines(dump string) string {
	lines := strings.Split(dump, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// recordingTables remembers the last batch it ran.
type recordingTables struct {
	tables
	last *batch
}

func (r *recordingTables) run(ctx context.Context, b *batch) error {
	r.last = b
	return r.tables.run(ctx, b)
}
