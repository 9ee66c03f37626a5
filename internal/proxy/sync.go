package proxy

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"
)

// syncer applies successive rulesets to one table. The first sync, and the
// first after a failed one, is a full apply (the table's state is unknown);
// later syncs send nft only the difference from the last applied ruleset:
// chains whose rules changed are flushed and rewritten, new objects added,
// stale ones deleted, set and map elements added or deleted one by one. An
// endpoint change thus touches one service's chains and a few elements
// instead of the whole table. Not safe for concurrent use.
type syncer struct {
	nft  knftables.Interface
	last *snapshot // nil: state unknown, next sync is full
}

// snapshot is what a sync left in the table, as far as the proxy owns it.
type snapshot struct {
	chains   map[string]string // chain → its rules, one text
	objects  map[string]bool   // "set NAME" / "map NAME"
	elements map[elementKey]string
}

// elementKey names one element: its set or map and its key.
type elementKey struct{ set, mapName, key string }

func newSyncer(nft knftables.Interface) *syncer { return &syncer{nft: nft} }

// sync makes the table hold exactly r. On error the next sync is full.
func (s *syncer) sync(ctx context.Context, r *Rules) error {
	next := snapshotOf(r)
	if s.last == nil {
		if err := apply(ctx, s.nft, r); err != nil {
			return err
		}
		s.last = next
		return nil
	}
	tx := s.nft.NewTransaction()
	s.last.diff(tx, r, next)
	if tx.NumOperations() == 0 {
		return nil
	}
	if err := s.nft.Run(ctx, tx); err != nil {
		s.last = nil
		return fmt.Errorf("apply nftables changes (%d operations): %w", tx.NumOperations(), err)
	}
	s.last = next
	return nil
}

func snapshotOf(r *Rules) *snapshot {
	s := &snapshot{chains: map[string]string{}, objects: map[string]bool{}, elements: map[elementKey]string{}}
	var b strings.Builder
	byChain := rulesByChain(r)
	for _, c := range r.Chains {
		b.Reset()
		for _, rule := range byChain[c.Name] {
			b.WriteString(rule.Rule)
			if rule.Comment != nil {
				b.WriteString(" comment ")
				b.WriteString(*rule.Comment)
			}
			b.WriteByte('\n')
		}
		s.chains[c.Name] = b.String()
	}
	for _, st := range r.Sets {
		s.objects["set "+st.Name] = true
	}
	for _, m := range r.Maps {
		s.objects["map "+m.Name] = true
	}
	for _, e := range r.Elements {
		s.elements[keyOf(e)] = strings.Join(e.Value, " . ")
	}
	return s
}

func rulesByChain(r *Rules) map[string][]*knftables.Rule {
	m := make(map[string][]*knftables.Rule, len(r.Chains))
	for _, rule := range r.Rules {
		m[rule.Chain] = append(m[rule.Chain], rule)
	}
	return m
}

func keyOf(e *knftables.Element) elementKey {
	return elementKey{set: e.Set, mapName: e.Map, key: strings.Join(e.Key, " . ")}
}

// diff adds to tx what turns the table from old into next (r's snapshot).
// Order matters to nft: chains and sets exist before rules and elements
// name them; references to stale objects are gone before those are deleted.
func (old *snapshot) diff(tx *knftables.Transaction, r *Rules, next *snapshot) {
	var stale []string
	for name := range old.chains {
		if _, keep := next.chains[name]; !keep {
			stale = append(stale, name)
			tx.Flush(&knftables.Chain{Name: name})
		}
	}
	for _, st := range r.Sets {
		if !old.objects["set "+st.Name] {
			tx.Add(st)
		}
	}
	for _, m := range r.Maps {
		if !old.objects["map "+m.Name] {
			tx.Add(m)
		}
	}
	var rewrite []string
	for _, c := range r.Chains {
		prev, had := old.chains[c.Name]
		switch {
		case !had:
			tx.Add(c)
		case prev != next.chains[c.Name]:
			tx.Flush(c)
		default:
			continue
		}
		rewrite = append(rewrite, c.Name)
	}
	old.diffElements(tx, r, next)
	byChain := rulesByChain(r)
	for _, name := range rewrite {
		for _, rule := range byChain[name] {
			tx.Add(rule)
		}
	}
	for _, name := range stale {
		tx.Delete(&knftables.Chain{Name: name})
	}
	for obj := range old.objects {
		if !next.objects[obj] {
			kind, name, _ := strings.Cut(obj, " ")
			if kind == "set" {
				tx.Delete(&knftables.Set{Name: name})
			} else {
				tx.Delete(&knftables.Map{Name: name})
			}
		}
	}
}

// diffElements deletes elements that are gone or changed value (unless
// their whole set or map goes) and adds new and changed ones.
func (old *snapshot) diffElements(tx *knftables.Transaction, r *Rules, next *snapshot) {
	for k, v := range old.elements {
		nv, keep := next.elements[k]
		if keep && nv == v {
			continue
		}
		switch {
		case k.set != "" && next.objects["set "+k.set]:
			tx.Delete(&knftables.Element{Set: k.set, Key: strings.Split(k.key, " . ")})
		case k.mapName != "" && next.objects["map "+k.mapName]:
			tx.Delete(&knftables.Element{Map: k.mapName, Key: strings.Split(k.key, " . ")})
		}
	}
	for _, e := range r.Elements {
		if v, had := old.elements[keyOf(e)]; !had || v != next.elements[keyOf(e)] {
			tx.Add(e)
		}
	}
}
