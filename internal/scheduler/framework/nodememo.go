package framework

import "sync"

// defaultMemoTables is how many queries a zero NodeMemo remembers.
const defaultMemoTables = 16

// NodeMemo remembers, for a few queries (named by a key string that must
// say everything the answer depends on besides the NodeInfo), one value
// per node position of the snapshot, so that a plugin counting over every
// node recomputes only the nodes that changed since it last asked. A value
// is reused only for the same *NodeInfo at the same Revision: a snapshot's
// NodeInfos are read-only and a changed node is a new NodeInfo, so a memo
// never changes an answer, only its cost.
//
// The zero value is ready to use (it remembers 16 queries); a NodeMemo
// must not be copied after first use. It is safe for concurrent use: a
// table taken by one cycle is absent for the others until it is put back,
// which then compute without it.
type NodeMemo[V any] struct {
	mu     sync.Mutex
	tables map[string]*MemoTable[V]
	tick   uint64
	// Limit is how many tables are kept (0: 16); the least recently used
	// goes first.
	Limit int
}

// MemoTable is the memo of one query: values by node position. It belongs
// to whoever took it until Put; distinct positions may be read and written
// by distinct goroutines.
type MemoTable[V any] struct {
	key     string
	used    uint64
	entries []memoEntry[V]
}

type memoEntry[V any] struct {
	node *NodeInfo
	rev  uint64
	val  V
}

// Take removes the table for key from m and returns it with room for n
// node positions (a new, empty table when m has none: warm is false).
func (m *NodeMemo[V]) Take(key string, n int) (t *MemoTable[V], warm bool) {
	m.mu.Lock()
	t = m.tables[key]
	delete(m.tables, key)
	m.mu.Unlock()
	warm = t != nil
	if t == nil {
		t = &MemoTable[V]{key: key}
	}
	switch {
	case len(t.entries) > n:
		clear(t.entries[n:])
		t.entries = t.entries[:n]
	case len(t.entries) < n:
		t.entries = append(t.entries, make([]memoEntry[V], n-len(t.entries))...)
	}
	return t, warm
}

// Put gives t back to m, dropping the least recently used table when m
// holds more than its limit. A table for the same key put back meanwhile
// is replaced.
func (m *NodeMemo[V]) Put(t *MemoTable[V]) {
	limit := m.Limit
	if limit <= 0 {
		limit = defaultMemoTables
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tables == nil {
		m.tables = map[string]*MemoTable[V]{}
	}
	m.tick++
	t.used = m.tick
	m.tables[t.key] = t
	for len(m.tables) > limit {
		var oldest *MemoTable[V]
		for _, c := range m.tables {
			if oldest == nil || c.used < oldest.used {
				oldest = c
			}
		}
		delete(m.tables, oldest.key)
	}
}

// Get returns the value remembered at position i if it was set for node
// as node is now; otherwise nil.
func (t *MemoTable[V]) Get(i int, node *NodeInfo) *V {
	e := &t.entries[i]
	if e.node != node || e.rev != node.rev {
		return nil
	}
	return &e.val
}

// Set remembers v for node at position i.
func (t *MemoTable[V]) Set(i int, node *NodeInfo, v V) {
	t.entries[i] = memoEntry[V]{node: node, rev: node.rev, val: v}
}
