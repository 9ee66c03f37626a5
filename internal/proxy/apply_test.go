package proxy

import (
	"context"
	"path/filepath"
	"testing"

	"sigs.k8s.io/knftables"
)

// TestApplyReplacesPreviousRuleset checks that applying B over A leaves
// exactly what applying B to an empty table leaves, for every pair of
// golden inputs: stale chains, sets and elements are removed.
func TestApplyReplacesPreviousRuleset(t *testing.T) {
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
				if err := apply(ctx, knftablesTables{fake}, ra); err != nil {
					t.Fatalf("apply %s: %v", a, err)
				}
				if err := apply(ctx, knftablesTables{fake}, rb); err != nil {
					t.Fatalf("apply %s over %s: %v", b, a, err)
				}
				if got, want := sortedLines(fake.Dump()), sortedLines(dump(t, rb)); got != want {
					t.Errorf("after %s then %s:\n%s\nwant (fresh %s):\n%s", a, b, got, b, want)
				}
			})
		}
	}
}

// TestApplyKeepsAffinity checks that a resync keeps the client addresses the
// packet path wrote into affinity sets, while other sets are rewritten.
func TestApplyKeepsAffinity(t *testing.T) {
	cfg, svcs, slices := loadInput(t, "testdata/affinity.yaml")
	r := Ruleset(cfg, svcs, slices)
	var affinity string
	for name := range r.AffinitySets {
		affinity = name
		break
	}
	if affinity == "" {
		t.Fatal("affinity.yaml produced no affinity set")
	}
	fake := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	ctx := context.Background()
	if err := apply(ctx, knftablesTables{fake}, r); err != nil {
		t.Fatal(err)
	}
	// What the kernel would do on "update @set { ip saddr }", plus a stray
	// element in a set that the proxy owns completely.
	tx := fake.NewTransaction()
	tx.Add(&knftables.Element{Set: affinity, Key: []string{"192.0.2.1"}})
	tx.Add(&knftables.Element{Set: setNodePortIPs, Key: []string{"192.0.2.99"}})
	if err := fake.Run(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := apply(ctx, knftablesTables{fake}, r); err != nil {
		t.Fatal(err)
	}
	table := fake.Table
	if table.Sets[affinity].FindElement("192.0.2.1") == nil {
		t.Errorf("resync dropped the sticky client from %s", affinity)
	}
	if table.Sets[setNodePortIPs].FindElement("192.0.2.99") != nil {
		t.Errorf("resync kept a stray element in %s", setNodePortIPs)
	}
}
