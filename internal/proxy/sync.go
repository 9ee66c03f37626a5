package proxy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/knftables"
)

// syncer applies successive rulesets to one table. The first sync, and the
// first after a failed one, is a full apply (the table's state is unknown);
// later syncs send only the difference from the last applied ruleset, and
// look only at the parts (Services) that are not the very same part as last
// time: chains whose rules changed are flushed and rewritten, new objects
// added, stale ones deleted, set and map elements added or deleted one by
// one. An endpoint change thus costs one Service's chains and elements, not
// a pass over the whole table. Not safe for concurrent use.
type syncer struct {
	t    tables
	last *applied // nil: state unknown, next sync is full
}

// applied is what the syncer left in the table, as far as the proxy owns it.
type applied struct {
	parts  map[*part]bool
	byKey  map[[2]string]*part
	claims map[elementKey][]claimant // in part order; the first wins
}

// claimant is one part's claim on an element.
type claimant struct {
	part  *part
	claim claim
}

func newSyncer(t tables) *syncer { return &syncer{t: t} }

// sync makes the table hold exactly r. On error the next sync is full.
func (s *syncer) sync(ctx context.Context, r *Rules) error {
	parts := r.parts
	if parts == nil {
		parts = []*part{{chains: r.Chains, sets: r.Sets, maps: r.Maps, rules: r.Rules, elements: r.Elements, affinity: affinityNames(r)}}
	}
	if s.last == nil {
		if err := apply(ctx, s.t, r.flat()); err != nil {
			return err
		}
		s.last = newApplied(parts)
		return nil
	}
	tx := s.last.update(parts)
	if tx.NumOperations() == 0 {
		return nil
	}
	if err := s.t.run(ctx, tx); err != nil {
		s.last = nil
		return fmt.Errorf("apply nftables changes (%d operations): %w", tx.NumOperations(), err)
	}
	return nil
}

func affinityNames(r *Rules) []string {
	var out []string
	for name := range r.AffinitySets {
		out = append(out, name)
	}
	return out
}

func newApplied(parts []*part) *applied {
	a := &applied{parts: make(map[*part]bool, len(parts)), byKey: make(map[[2]string]*part, len(parts)), claims: map[elementKey][]claimant{}}
	for _, p := range parts {
		a.parts[p] = true
		a.byKey[[2]string{p.ns, p.name}] = p
		for _, c := range p.claims() {
			a.claims[c.key] = append(a.claims[c.key], claimant{p, c})
		}
	}
	return a
}

// change is one part that differs from the applied state: old or new may
// be nil (a Service appeared or went away).
type change struct{ old, new *part }

// update returns the batch that turns the table from a into parts, and
// makes a describe parts. Order matters to the kernel: chains and sets
// exist before rules and elements name them; references to stale objects
// are gone before those are deleted.
func (a *applied) update(parts []*part) *batch {
	changes := a.changed(parts)
	tx := &batch{}
	p := planObjects(tx, changes)
	a.updateElements(tx, changes, p.staleObjects)
	p.finish(tx, changes)
	a.commit(changes)
	return tx
}

// changed lists the parts that are not the very parts applied last time,
// paired with the part of the same Service they replace.
func (a *applied) changed(parts []*part) []change {
	var changes []change
	keys := make(map[[2]string]bool, len(parts))
	for _, p := range parts {
		keys[[2]string{p.ns, p.name}] = true
		if !a.parts[p] {
			changes = append(changes, change{old: a.byKey[[2]string{p.ns, p.name}], new: p})
		}
	}
	for p := range a.parts {
		if !keys[[2]string{p.ns, p.name}] {
			changes = append(changes, change{old: p})
		}
	}
	return changes
}

// objectPlan is what planObjects decided about chains, sets and maps.
type objectPlan struct {
	stale        []string        // chains to delete (already flushed)
	rewrite      map[string]bool // chains whose rules are (re)added
	staleObjects []string        // "set NAME" / "map NAME" to delete
	newObjects   map[string]bool
}

// planObjects flushes stale chains and adds new sets, maps and chains
// (flushing changed ones).
func planObjects(tx *batch, changes []change) *objectPlan {
	p := &objectPlan{rewrite: map[string]bool{}, newObjects: map[string]bool{}}
	for _, c := range changes {
		oldX, newX := c.old.idxOrEmpty(), c.new.idxOrEmpty()
		for name := range oldX.chains {
			if _, ok := newX.chains[name]; !ok {
				p.stale = append(p.stale, name)
				tx.Flush(&knftables.Chain{Name: name})
			}
		}
		for obj := range oldX.objects {
			if !newX.objects[obj] {
				p.staleObjects = append(p.staleObjects, obj)
			}
		}
		if c.new == nil {
			continue
		}
		for _, st := range c.new.sets {
			if !oldX.objects["set "+st.Name] {
				tx.Add(st)
				p.newObjects["set "+st.Name] = true
			}
		}
		for _, m := range c.new.maps {
			if !oldX.objects["map "+m.Name] {
				tx.Add(m)
				p.newObjects["map "+m.Name] = true
			}
		}
		for _, ch := range c.new.chains {
			prev, had := oldX.chains[ch.Name]
			switch {
			case !had:
				tx.Add(ch)
			case prev != newX.chains[ch.Name]:
				tx.Flush(ch)
			default:
				continue
			}
			p.rewrite[ch.Name] = true
		}
	}
	return p
}

// finish adds the rules of the rewritten chains, then deletes stale chains,
// sets and maps.
func (p *objectPlan) finish(tx *batch, changes []change) {
	for _, c := range changes {
		if c.new == nil {
			continue
		}
		x := c.new.idx()
		for _, ch := range c.new.chains {
			if p.rewrite[ch.Name] {
				for _, r := range x.rules[ch.Name] {
					tx.Add(r)
				}
			}
		}
	}
	for _, name := range p.stale {
		tx.Delete(&knftables.Chain{Name: name})
	}
	for _, obj := range p.staleObjects {
		if p.newObjects[obj] {
			continue // moved to another part
		}
		kind, name, _ := strings.Cut(obj, " ")
		if kind == "set" {
			tx.Delete(&knftables.Set{Name: name})
		} else {
			tx.Delete(&knftables.Map{Name: name})
		}
	}
}

// commit records that the changes are applied.
func (a *applied) commit(changes []change) {
	for _, c := range changes {
		if c.old != nil {
			delete(a.parts, c.old)
			if a.byKey[[2]string{c.old.ns, c.old.name}] == c.old {
				delete(a.byKey, [2]string{c.old.ns, c.old.name})
			}
		}
	}
	for _, c := range changes {
		if c.new != nil {
			a.parts[c.new] = true
			a.byKey[[2]string{c.new.ns, c.new.name}] = c.new
		}
	}
}

func (p *part) claimsOrNil() []claim {
	if p == nil {
		return nil
	}
	return p.claims()
}

func (p *part) idxOrEmpty() *partIndex {
	if p == nil {
		return &partIndex{}
	}
	return p.idx()
}

// moveClaims replaces the claims of each changed part's old version with
// those of its new one, keeping each key's claimants in part order.
func (a *applied) moveClaims(changes []change) {
	for _, c := range changes {
		if c.old != nil {
			for _, cl := range c.old.claims() {
				a.claims[cl.key] = slices.DeleteFunc(a.claims[cl.key], func(x claimant) bool { return x.part == c.old })
			}
		}
		if c.new != nil {
			for _, cl := range c.new.claims() {
				cs := append(a.claims[cl.key], claimant{c.new, cl})
				slices.SortStableFunc(cs, func(x, y claimant) int {
					if x.part.before(y.part) {
						return -1
					}
					if y.part.before(x.part) {
						return 1
					}
					return 0
				})
				a.claims[cl.key] = cs
			}
		}
	}
}

// updateElements moves the claims of the changed parts and sends, for every
// key whose winning claim changed, a delete of the old element (unless its
// set or map goes away) and an add of the new one.
func (a *applied) updateElements(tx *batch, changes []change, staleObjects []string) {
	before := map[elementKey]*claim{}
	var touched []elementKey
	touch := func(k elementKey) {
		if _, ok := before[k]; ok {
			return
		}
		touched = append(touched, k)
		before[k] = nil
		if cs := a.claims[k]; len(cs) > 0 {
			c := cs[0].claim
			before[k] = &c
		}
	}
	for _, c := range changes {
		for _, cl := range c.old.claimsOrNil() {
			touch(cl.key)
		}
		for _, cl := range c.new.claimsOrNil() {
			touch(cl.key)
		}
	}
	a.moveClaims(changes)
	gone := map[string]bool{}
	for _, obj := range staleObjects {
		_, name, _ := strings.Cut(obj, " ")
		gone[name] = true
	}
	var adds []*knftables.Element
	for _, k := range touched {
		old := before[k]
		var now *claim
		if cs := a.claims[k]; len(cs) > 0 {
			now = &cs[0].claim
		} else {
			delete(a.claims, k)
		}
		if old != nil && now != nil && old.value == now.value {
			continue
		}
		if old != nil && !gone[k.set+k.mapName] {
			tx.Delete(&knftables.Element{Set: k.set, Map: k.mapName, Key: old.el.Key})
		}
		if now != nil {
			adds = append(adds, now.el)
		}
	}
	for _, e := range adds {
		tx.Add(e)
	}
}
