package proxy

import (
	"context"
	"fmt"

	"sigs.k8s.io/knftables"
)

// apply makes the table hold exactly r, in one transaction: objects that r
// names are created if missing and their contents replaced, objects of an
// earlier sync that r no longer names are deleted. Affinity sets are created
// but not flushed, so sticky clients stay on their endpoint across syncs.
func apply(ctx context.Context, t tables, r *Rules) error {
	oldChains, oldSets, oldMaps, err := t.list(ctx)
	if err != nil {
		return err
	}

	tx := &batch{ops: make([]op, 0, 2*len(r.Chains)+len(r.Rules)+len(r.Elements)+8)}
	tx.Add(&knftables.Table{})
	want := make(map[string]bool, len(r.Chains)+len(r.Sets)+len(r.Maps))
	for _, c := range r.Chains {
		want["chain "+c.Name] = true
		tx.Add(c)
		tx.Flush(c)
	}
	for _, m := range r.Maps {
		want["map "+m.Name] = true
		tx.Add(m)
		tx.Flush(m)
	}
	for _, s := range r.Sets {
		want["set "+s.Name] = true
		tx.Add(s)
		if !r.AffinitySets[s.Name] {
			tx.Flush(s)
		}
	}
	// Stale chains may jump to each other: empty them all before deleting.
	var staleChains []string
	for _, name := range oldChains {
		if !want["chain "+name] {
			staleChains = append(staleChains, name)
			tx.Flush(&knftables.Chain{Name: name})
		}
	}
	for _, rule := range r.Rules {
		tx.Add(rule)
	}
	for _, e := range r.Elements {
		tx.Add(e)
	}
	for _, name := range staleChains {
		tx.Delete(&knftables.Chain{Name: name})
	}
	for _, name := range oldMaps {
		if !want["map "+name] {
			tx.Delete(&knftables.Map{Name: name})
		}
	}
	for _, name := range oldSets {
		if !want["set "+name] {
			tx.Delete(&knftables.Set{Name: name})
		}
	}
	if err := t.run(ctx, tx); err != nil {
		return fmt.Errorf("apply nftables ruleset (%d operations): %w", tx.NumOperations(), err)
	}
	return nil
}
