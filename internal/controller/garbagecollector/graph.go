package garbagecollector

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// node is what the graph keeps of one object. Nodes are replaced, never
// mutated, so a copy handed out stays valid.
type node struct {
	gvr        schema.GroupVersionResource
	namespace  string
	name       string
	uid        types.UID
	owners     []metav1.OwnerReference
	finalizers []string
	deleting   bool
}

// graph indexes objects by UID and dependents by owner UID. Owners need not
// be present to have dependents: a reference to a missing owner is exactly
// what the collector looks for.
type graph struct {
	mu         sync.RWMutex
	nodes      map[types.UID]node
	dependents map[types.UID]map[types.UID]struct{}
}

func newGraph() *graph {
	return &graph{nodes: map[types.UID]node{}, dependents: map[types.UID]map[types.UID]struct{}{}}
}

// upsert records n and returns the previous version, if any.
func (g *graph) upsert(n node) (node, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old, ok := g.nodes[n.uid]
	if ok {
		g.unlink(old)
	}
	g.nodes[n.uid] = n
	for _, ref := range n.owners {
		set := g.dependents[ref.UID]
		if set == nil {
			set = map[types.UID]struct{}{}
			g.dependents[ref.UID] = set
		}
		set[n.uid] = struct{}{}
	}
	return old, ok
}

// remove forgets the object with uid and returns it.
func (g *graph) remove(uid types.UID) (node, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old, ok := g.nodes[uid]
	if ok {
		g.unlink(old)
		delete(g.nodes, uid)
	}
	return old, ok
}

func (g *graph) unlink(n node) {
	for _, ref := range n.owners {
		if set := g.dependents[ref.UID]; set != nil {
			delete(set, n.uid)
			if len(set) == 0 {
				delete(g.dependents, ref.UID)
			}
		}
	}
}

func (g *graph) get(uid types.UID) (node, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n, ok := g.nodes[uid]
	return n, ok
}

// dependentsOf returns the dependents of owner known to the graph, with the
// blockOwnerDeletion of their reference to it.
func (g *graph) dependentsOf(owner types.UID) []Link {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []Link
	for uid := range g.dependents[owner] {
		d, ok := g.nodes[uid]
		if !ok {
			continue
		}
		l := Link{UID: uid, Deleting: d.deleting}
		for _, ref := range d.owners {
			if ref.UID == owner && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				l.Block = true
			}
		}
		out = append(out, l)
	}
	return out
}

// deletingDependents reports whether any dependent of uid is itself being
// deleted in the foreground.
func (g *graph) deletingDependents(uid types.UID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for dep := range g.dependents[uid] {
		if d, ok := g.nodes[dep]; ok && StateOf(d.deleting, d.finalizers) == OwnerWaiting {
			return true
		}
	}
	return false
}
