package interpodaffinity

import (
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// nodeCount is what PreFilter found on one node for one incoming pod
// shape (memoKey), kept in the plugin's NodeMemo while the node is
// unchanged.
type nodeCount struct {
	// existingAnti counts, per topology key, the node's pods' required
	// anti-affinity terms matching the incoming pod.
	existingAnti []keyCount
	// affinity counts the pods matching all the required affinity terms.
	affinity int
	// anti counts, per required anti-affinity term, the pods it matches
	// (nil when none does).
	anti []int
}

// memoShapes is how many incoming pod shapes the memo keeps: about as many
// workloads with (anti-)affinity as are scheduled at once. One shape costs
// a pointer-sized entry or three per node.
const memoShapes = 64

// zero reports whether nothing was counted.
func (nc *nodeCount) zero() bool {
	return len(nc.existingAnti) == 0 && nc.affinity == 0 && nc.anti == nil
}

type keyCount struct {
	key string
	n   int
}

// memoKey names everything a nodeCount depends on besides the node: the
// incoming pod's namespace and labels (matched by existing pods' terms)
// and its required terms. ok is false when a term of the pod selects
// namespaces by label, whose labels may change while the pods do not.
func memoKey(pi *framework.PodInfo) (key string, ok bool) {
	var b strings.Builder
	pod := pi.Pod
	b.WriteString(pod.Namespace)
	keys := make([]string, 0, len(pod.Labels))
	for k := range pod.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString("\x00")
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(pod.Labels[k])
	}
	for _, terms := range [2][]framework.AffinityTerm{pi.Affinity.RequiredAffinity, pi.Affinity.RequiredAntiAffinity} {
		b.WriteString("\x01")
		for i := range terms {
			if terms[i].UsesNamespaceLabels() {
				return "", false
			}
			writeTermKey(&b, &terms[i])
		}
	}
	return b.String(), true
}

// writeTermKey writes what selects pods in t: namespaces, namespace
// selector (only nil or empty here) and label selector, and its key.
func writeTermKey(b *strings.Builder, t *framework.AffinityTerm) {
	b.WriteString("\x02")
	b.WriteString(strings.Join(sortedNamespaces(t), ","))
	switch {
	case t.NamespaceSelector == nil:
		b.WriteString("\x00-")
	default:
		b.WriteString("\x00*")
	}
	b.WriteString("\x00")
	b.WriteString(framework.SelectorKey(t.Selector))
	b.WriteString("\x00")
	b.WriteString(t.TopologyKey)
}

func sortedNamespaces(t *framework.AffinityTerm) []string {
	ns := t.Namespaces.UnsortedList()
	slices.Sort(ns)
	return ns
}

// scanNode counts for the incoming pod on n. cacheable is false when an
// existing pod's term selects namespaces by label.
func (p *InterPodAffinity) scanNode(pi *framework.PodInfo, n *framework.NodeInfo) (nc nodeCount, cacheable bool) {
	cacheable = true
	pod := pi.Pod
	for _, ex := range n.PodsWithRequiredAntiAffinity {
		for i := range ex.Affinity.RequiredAntiAffinity {
			t := &ex.Affinity.RequiredAntiAffinity[i]
			if t.UsesNamespaceLabels() {
				cacheable = false
			}
			if t.Matches(pod, p.nsLabels) {
				nc.existingAnti = addKey(nc.existingAnti, t.TopologyKey)
			}
		}
	}
	req, anti := pi.Affinity.RequiredAffinity, pi.Affinity.RequiredAntiAffinity
	if len(req) == 0 && len(anti) == 0 {
		return nc, cacheable
	}
	for _, ex := range n.Pods {
		if len(req) > 0 && matchesAll(req, ex.Pod, p.nsLabels) {
			nc.affinity++
		}
		for i := range anti {
			if anti[i].Matches(ex.Pod, p.nsLabels) {
				if nc.anti == nil {
					nc.anti = make([]int, len(anti))
				}
				nc.anti[i]++
			}
		}
	}
	return nc, cacheable
}

func addKey(list []keyCount, key string) []keyCount {
	for i := range list {
		if list[i].key == key {
			list[i].n++
			return list
		}
	}
	return append(list, keyCount{key: key, n: 1})
}

// add counts nc, found on node, for the incoming pod pi.
func (c *counts) add(node *v1.Node, pi *framework.PodInfo, nc *nodeCount) {
	for _, kc := range nc.existingAnti {
		c.existingAnti = addPair(c.existingAnti, c.size[0], node, kc.key, kc.n)
	}
	if nc.affinity > 0 {
		for i := range pi.Affinity.RequiredAffinity {
			c.affinity = addPair(c.affinity, c.size[1], node, pi.Affinity.RequiredAffinity[i].TopologyKey, nc.affinity)
		}
	}
	for i, k := range nc.anti {
		if k > 0 {
			c.anti = addPair(c.anti, c.size[2], node, pi.Affinity.RequiredAntiAffinity[i].TopologyKey, k)
		}
	}
}
