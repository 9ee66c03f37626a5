package podtopologyspread

import (
	"strings"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// nodeMatch is what one node holds for a list of constraints in one
// namespace, remembered while the node is unchanged.
type nodeMatch struct {
	// hasAll is whether the node has every constraint's topology key.
	hasAll bool
	// per holds, for each constraint, the node's topology value (when
	// hasAll) and countMatching.
	per []valueCount
}

type valueCount struct {
	val string
	n   int
}

// matchTable is the memo of nodeMatch for one list of constraints in one
// namespace, by node position.
type matchTable = *framework.MemoTable[nodeMatch]

// matchKey names what a nodeMatch of cs in namespace ns depends on besides
// the node: the namespace and the constraints' topology keys and
// selectors.
func matchKey(cs []constraint, ns string) string {
	var b strings.Builder
	b.WriteString(ns)
	for i := range cs {
		b.WriteString("\x00")
		b.WriteString(cs[i].TopologyKey)
		b.WriteString("\x00")
		b.WriteString(framework.SelectorKey(cs[i].Selector))
	}
	return b.String()
}

// takeMatches takes the memo table for cs in ns for n nodes; give it back
// with p.matches.Put.
func (p *PodTopologySpread) takeMatches(cs []constraint, ns string, n int) matchTable {
	t, _ := p.matches.Take(matchKey(cs, ns), n)
	return t
}

// matchesAt returns the nodeMatch of cs in ns on node n at position i of
// the snapshot, remembered in t while n is unchanged. It is t's: read it,
// do not keep or change it.
func matchesAt(t matchTable, i int, n *framework.NodeInfo, cs []constraint, ns string) *nodeMatch {
	if v := t.Get(i, n); v != nil {
		return v
	}
	m := nodeMatch{hasAll: true, per: make([]valueCount, len(cs))}
	for j := range cs {
		v, ok := n.Node.Labels[cs[j].TopologyKey]
		m.hasAll = m.hasAll && ok
		m.per[j] = valueCount{val: v, n: countMatching(n.Pods, &cs[j].match, ns)}
	}
	t.Set(i, n, m)
	return t.Get(i, n)
}
