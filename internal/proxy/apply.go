package proxy

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"
)

// apply makes the table hold exactly r, in one transaction: objects that r
// names are created if missing and their contents replaced, objects of an
// earlier sync that r no longer names are deleted. Affinity sets are created
// but not flushed, so sticky clients stay on their endpoint across syncs.
//
// Objects the listing does not show are new and are not flushed. The order
// of the batch is chosen for the kernel: each rule that binds an anonymous
// map walks the whole transaction so far, so a chain's rules follow the
// chain at once when every chain they jump to already exists; the other
// chains, and then their rules, come after all of those.
func apply(ctx context.Context, t tables, r *Rules) error {
	oldChains, oldSets, oldMaps, err := t.list(ctx)
	if err != nil {
		return err
	}
	had := listed(oldChains, oldSets, oldMaps)
	tx := &batch{ops: make([]op, 0, len(r.Chains)+len(r.Rules)+len(r.Elements)+len(oldChains)+8)}
	tx.Add(&knftables.Table{})
	want := make(map[string]bool, len(r.Chains)+len(r.Sets)+len(r.Maps))
	for _, m := range r.Maps {
		want["map "+m.Name] = true
		tx.Add(m)
		if had["map "+m.Name] {
			tx.Flush(m)
		}
	}
	for _, s := range r.Sets {
		want["set "+s.Name] = true
		tx.Add(s)
		if had["set "+s.Name] && !r.AffinitySets[s.Name] {
			tx.Flush(s)
		}
	}
	byChain := chainRules(r.Rules)
	var later []*knftables.Chain // chains whose rules wait for all chains
	addChain := func(c *knftables.Chain) {
		want["chain "+c.Name] = true
		tx.Add(c)
		if had["chain "+c.Name] {
			tx.Flush(c)
		}
	}
	for _, c := range r.Chains {
		if rules := byChain[c.Name]; targetsExist(rules, want) {
			addChain(c)
			for _, rule := range rules {
				tx.Add(rule)
			}
		} else {
			later = append(later, c)
		}
	}
	for _, c := range later {
		addChain(c)
	}
	// Stale chains may jump to each other: empty them all before deleting.
	var staleChains []string
	for _, name := range oldChains {
		if !want["chain "+name] {
			staleChains = append(staleChains, name)
			tx.Flush(&knftables.Chain{Name: name})
		}
	}
	for _, c := range later {
		for _, rule := range byChain[c.Name] {
			tx.Add(rule)
		}
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

// listed is the set of objects a listing names, as "chain NAME", "set
// NAME" and "map NAME".
func listed(chains, sets, maps []string) map[string]bool {
	had := make(map[string]bool, len(chains)+len(sets)+len(maps))
	for _, group := range [...]struct {
		kind  string
		names []string
	}{{"chain ", chains}, {"set ", sets}, {"map ", maps}} {
		for _, name := range group.names {
			had[group.kind+name] = true
		}
	}
	return had
}

// chainRules groups rules by chain, in their order.
func chainRules(rules []*knftables.Rule) map[string][]*knftables.Rule {
	out := map[string][]*knftables.Rule{}
	for _, r := range rules {
		out[r.Chain] = append(out[r.Chain], r)
	}
	return out
}

// targetsExist reports whether every chain the rules jump or go to is in
// added (as "chain NAME").
func targetsExist(rules []*knftables.Rule, added map[string]bool) bool {
	for _, r := range rules {
		for _, target := range jumpTargets(r.Rule) {
			if !added["chain "+target] {
				return false
			}
		}
	}
	return true
}

// jumpTargets returns the chains a rule's text names after "jump" or
// "goto", including inside verdict maps.
func jumpTargets(text string) []string {
	var out []string
	for rest := text; ; {
		i := verbIndex(rest)
		if i < 0 {
			return out
		}
		rest = rest[i+len("jump "):]
		end := strings.IndexAny(rest, " ,}")
		if end < 0 {
			end = len(rest)
		}
		out = append(out, rest[:end])
		rest = rest[end:]
	}
}

// verbIndex is the index of the first "jump " or "goto " in s that starts
// a word, or -1.
func verbIndex(s string) int {
	best := -1
	for _, verb := range [...]string{"jump ", "goto "} {
		for off := 0; ; {
			i := strings.Index(s[off:], verb)
			if i < 0 {
				break
			}
			i += off
			if i == 0 || s[i-1] == ' ' {
				if best < 0 || i < best {
					best = i
				}
				break
			}
			off = i + 1
		}
	}
	return best
}
