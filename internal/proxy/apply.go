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
func apply(ctx context.Context, nft knftables.Interface, r *Rules) error {
	oldChains, err := list(ctx, nft, "chains")
	if err != nil {
		return err
	}
	oldSets, err := list(ctx, nft, "sets")
	if err != nil {
		return err
	}
	oldMaps, err := list(ctx, nft, "maps")
	if err != nil {
		return err
	}

	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{})
	want := map[string]bool{}
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
	if err := nft.Run(ctx, tx); err != nil {
		return fmt.Errorf("apply nftables ruleset (%d operations): %w", tx.NumOperations(), err)
	}
	return nil
}

// list returns the names of the table's objects of one type; a missing table
// has none.
func list(ctx context.Context, nft knftables.Interface, objectType string) ([]string, error) {
	names, err := nft.List(ctx, objectType)
	if err != nil && !knftables.IsNotFound(err) {
		return nil, fmt.Errorf("list nftables %s: %w", objectType, err)
	}
	return names, nil
}

// deleteTable removes the proxy's table; a table that is already gone is not
// an error.
func deleteTable(ctx context.Context, nft knftables.Interface) error {
	tx := nft.NewTransaction()
	tx.Delete(&knftables.Table{})
	if err := nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
		return fmt.Errorf("delete nftables table: %w", err)
	}
	return nil
}
