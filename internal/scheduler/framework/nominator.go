package framework

import (
	"context"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Nominator remembers pods nominated to a node by preemption and not yet
// bound, so that later cycles of pods with lower or equal priority keep
// their room free (upstream's nominated pods). Safe for concurrent use: the
// scheduling loop adds nominations, informer handlers drop them.
type Nominator struct {
	mu     sync.Mutex
	byNode map[string]map[types.UID]*PodInfo
	nodeOf map[types.UID]string
}

// NewNominator returns an empty Nominator.
func NewNominator() *Nominator {
	return &Nominator{byNode: map[string]map[types.UID]*PodInfo{}, nodeOf: map[types.UID]string{}}
}

// Set records pod as nominated to node; node "" forgets the nomination.
func (n *Nominator) Set(pod *v1.Pod, node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(pod.UID)
	if node == "" {
		return
	}
	m, ok := n.byNode[node]
	if !ok {
		m = map[types.UID]*PodInfo{}
		n.byNode[node] = m
	}
	m[pod.UID] = NewPodInfo(pod)
	n.nodeOf[pod.UID] = node
}

// Remove forgets the nomination of the pod with uid, if any.
func (n *Nominator) Remove(uid types.UID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(uid)
}

func (n *Nominator) removeLocked(uid types.UID) {
	node, ok := n.nodeOf[uid]
	if !ok {
		return
	}
	delete(n.nodeOf, uid)
	delete(n.byNode[node], uid)
	if len(n.byNode[node]) == 0 {
		delete(n.byNode, node)
	}
}

// NominatedNode returns the node pod is nominated to, or "".
func (n *Nominator) NominatedNode(uid types.UID) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodeOf[uid]
}

// LowerPriority returns the pods nominated to node whose priority is
// below prio, in no particular order (read-only).
func (n *Nominator) LowerPriority(node string, prio int32) []*v1.Pod {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []*v1.Pod
	for _, pi := range n.byNode[node] {
		if PodPriority(pi.Pod) < prio {
			out = append(out, pi.Pod)
		}
	}
	return out
}

// forCycle returns, per node, the nominated pods that pod must leave room
// for: other pods of priority at least pod's. nil when there are none.
func (n *Nominator) forCycle(pod *v1.Pod) map[string][]*PodInfo {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.byNode) == 0 {
		return nil
	}
	prio := PodPriority(pod)
	out := map[string][]*PodInfo{}
	for node, m := range n.byNode {
		for uid, pi := range m {
			if uid != pod.UID && PodPriority(pi.Pod) >= prio {
				out[node] = append(out[node], pi)
			}
		}
	}
	return out
}

// filterWithNominated runs the filters on node as upstream does with
// nominated pods: first with the nominated pods added to the node and to
// the PreFilter state (so their room stays free and their affinity terms
// count), then, if that passed, without them (so that pod affinity to them
// does not count).
func (f *Framework) filterWithNominated(ctx context.Context, c *cycle, pod *v1.Pod, node *NodeInfo) *Status {
	if c.nominated == nil {
		return runFilters(ctx, c.filters(), c.state, pod, node)
	}
	noms := c.nominated[node.Name()]
	if len(noms) == 0 {
		return runFilters(ctx, c.filters(), c.state, pod, node)
	}
	with := node.Clone()
	state := c.state
	if len(c.state.run.extensions) > 0 {
		state = c.state.Clone()
	}
	for _, pi := range noms {
		with.AddPod(pi)
		if st := state.AddPod(ctx, pod, pi, with); !st.IsSuccess() {
			return st
		}
	}
	if st := runFilters(ctx, c.filters(), state, pod, with); !st.IsSuccess() {
		return st
	}
	return runFilters(ctx, c.filters(), c.state, pod, node)
}
