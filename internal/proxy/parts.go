package proxy

import (
	"slices"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

// part is the share of a ruleset one owner contributes: the fixed objects
// (the base part), or one Service with all its ports. Chains, sets and maps
// belong to exactly one part (their names include the Service's namespace
// and name); elements may be claimed by several parts (two Services with
// the same external IP, or one pod behind two Services in the hairpin set),
// and the first part in order wins. A part is immutable once built, so a
// generator can hand the same part to successive syncs.
type part struct {
	ns, name string // "" "" for the base part, which orders first
	chains   []*knftables.Chain
	sets     []*knftables.Set
	maps     []*knftables.Map
	rules    []*knftables.Rule
	elements []*knftables.Element
	affinity []string // names of sets the packet path fills

	once      sync.Once
	index     *partIndex
	claimOnce sync.Once
	claimList []claim
}

// partIndex is what a sync compares between two versions of a part.
type partIndex struct {
	chains  map[string]string // chain → its rules, one text
	rules   map[string][]*knftables.Rule
	objects map[string]bool // "set NAME" / "map NAME"
}

// claim is one element a part asks for.
type claim struct {
	key   elementKey
	value string
	el    *knftables.Element
}

// elementKey names one element: its set or map and its key.
type elementKey struct{ set, mapName, key string }

func keyOf(e *knftables.Element) elementKey {
	return elementKey{set: e.Set, mapName: e.Map, key: strings.Join(e.Key, " . ")}
}

// before reports whether p orders before q (base first, then namespace,
// then name): the order in which parts claim elements.
func (p *part) before(q *part) bool {
	if p.ns != q.ns {
		return p.ns < q.ns
	}
	return p.name < q.name
}

func (p *part) idx() *partIndex {
	p.once.Do(func() {
		x := &partIndex{chains: make(map[string]string, len(p.chains)), rules: map[string][]*knftables.Rule{}, objects: map[string]bool{}}
		for _, r := range p.rules {
			x.rules[r.Chain] = append(x.rules[r.Chain], r)
		}
		var b strings.Builder
		for _, c := range p.chains {
			b.Reset()
			for _, r := range x.rules[c.Name] {
				b.WriteString(r.Rule)
				if r.Comment != nil {
					b.WriteString(" comment ")
					b.WriteString(*r.Comment)
				}
				b.WriteByte('\n')
			}
			x.chains[c.Name] = b.String()
		}
		for _, s := range p.sets {
			x.objects["set "+s.Name] = true
		}
		for _, m := range p.maps {
			x.objects["map "+m.Name] = true
		}
		p.index = x
	})
	return p.index
}

// claims returns the part's elements, the first one per key, in order.
func (p *part) claims() []claim {
	p.claimOnce.Do(func() {
		p.claimList = make([]claim, 0, len(p.elements))
		// A Service's part has a dozen elements or so: a linear search
		// costs less than a map.
		var seen map[elementKey]bool
		if len(p.elements) > 32 {
			seen = make(map[elementKey]bool, len(p.elements))
		}
		for _, e := range p.elements {
			k := keyOf(e)
			if seen != nil {
				if seen[k] {
					continue
				}
				seen[k] = true
			} else if slices.ContainsFunc(p.claimList, func(c claim) bool { return c.key == k }) {
				continue
			}
			p.claimList = append(p.claimList, claim{key: k, value: strings.Join(e.Value, " . "), el: e})
		}
	})
	return p.claimList
}

// generator computes rulesets for one node, reusing the part of every
// Service whose object and EndpointSlices are the very same objects as in
// the previous call. That holds for objects from informer caches, which are
// replaced, never modified, when they change; callers must not modify
// objects in place between calls. Not safe for concurrent use.
type generator struct {
	cfg   Config
	base  *part
	cache map[string]cachedPart // "namespace/name" → last part
}

type cachedPart struct {
	svc    *corev1.Service
	slices []*discoveryv1.EndpointSlice
	part   *part
}

func newGenerator(cfg Config) *generator {
	base := &part{}
	(&builder{cfg: cfg, part: base}).base()
	return &generator{cfg: cfg, base: base, cache: map[string]cachedPart{}}
}

// rules returns the ruleset for services and slices, grouped in parts; call
// flat for the flat fields.
func (g *generator) rules(services []*corev1.Service, slices []*discoveryv1.EndpointSlice) *Rules {
	bySvc := slicesByService(slices)
	sorted := append([]*corev1.Service(nil), services...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Namespace != sorted[j].Namespace {
			return sorted[i].Namespace < sorted[j].Namespace
		}
		return sorted[i].Name < sorted[j].Name
	})
	parts := make([]*part, 0, len(sorted)+1)
	parts = append(parts, g.base)
	next := make(map[string]cachedPart, len(sorted))
	for _, svc := range sorted {
		key := svc.Namespace + "/" + svc.Name
		ss := bySvc[key]
		c, ok := g.cache[key]
		if !ok || c.svc != svc || !samePointers(c.slices, ss) {
			c = cachedPart{svc: svc, slices: ss, part: g.service(svc, ss)}
		}
		next[key] = c
		parts = append(parts, c.part)
	}
	g.cache = next
	return &Rules{parts: parts}
}

// service builds the part of one Service.
func (g *generator) service(svc *corev1.Service, slices []*discoveryv1.EndpointSlice) *part {
	p := &part{ns: svc.Namespace, name: svc.Name}
	if !proxied(svc) {
		return p
	}
	clusterIP := g.cfg.family().serviceIP(svc)
	if clusterIP == "" {
		return p
	}
	b := &builder{cfg: g.cfg, part: p}
	for _, sp := range svc.Spec.Ports {
		b.servicePort(svc, clusterIP, sp, slices)
	}
	return p
}

func samePointers(a, b []*discoveryv1.EndpointSlice) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flat fills the flat fields from the parts (once) and returns r. Elements
// come in part order, each key once.
func (r *Rules) flat() *Rules {
	if r.flattened {
		return r
	}
	r.flattened = true
	r.AffinitySets = map[string]bool{}
	var nChains, nSets, nMaps, nRules, nClaims int
	for _, p := range r.parts {
		nChains += len(p.chains)
		nSets += len(p.sets)
		nMaps += len(p.maps)
		nRules += len(p.rules)
		nClaims += len(p.claims())
	}
	r.Chains = make([]*knftables.Chain, 0, nChains)
	r.Sets = make([]*knftables.Set, 0, nSets)
	r.Maps = make([]*knftables.Map, 0, nMaps)
	r.Rules = make([]*knftables.Rule, 0, nRules)
	r.Elements = make([]*knftables.Element, 0, nClaims)
	for _, p := range r.parts {
		r.Chains = append(r.Chains, p.chains...)
		r.Sets = append(r.Sets, p.sets...)
		r.Maps = append(r.Maps, p.maps...)
		r.Rules = append(r.Rules, p.rules...)
		for _, s := range p.affinity {
			r.AffinitySets[s] = true
		}
	}
	// Two parts may claim one key (two Services with the same external IP
	// and port; one pod behind two Services): one transaction cannot give a
	// key two values, and the first part, in namespace/name order, wins.
	seen := make(map[elementKey]bool, nClaims)
	for _, p := range r.parts {
		for _, c := range p.claims() {
			if !seen[c.key] {
				seen[c.key] = true
				r.Elements = append(r.Elements, c.el)
			}
		}
	}
	return r
}
