package interpodaffinity

import (
	"sync"
	"sync/atomic"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// counts are the three PreFilter counts (or a worker's share of them);
// maps are allocated only when something counts, with room for size
// pairs.
type counts struct {
	existingAnti, affinity, anti map[topologyPair]int
	size                         [3]int
}

// sizeHints remember how many pairs each count of the last cycle held, to
// size the next cycle's maps: only a capacity hint, so concurrent profiles
// sharing the plugin at worst size badly.
type sizeHints struct {
	existingAnti, affinity, anti atomic.Int64
}

// mergeInto adds src to *dst (allocated if nil, with room for size).
func mergeInto(dst *map[topologyPair]int, src map[topologyPair]int, size int) {
	if len(src) == 0 {
		return
	}
	if *dst == nil {
		*dst = make(map[topologyPair]int, max(size, len(src)))
	}
	for k, v := range src {
		(*dst)[k] += v
	}
}

// count walks every node once, split into one contiguous range per worker
// (each with its own maps, merged at the end), and returns per topology
// pair: existing pods' required anti-affinity terms matching pi; existing
// pods matching all of pi's required affinity terms (per term key); and
// existing pods matching each of pi's required anti-affinity terms.
func (p *InterPodAffinity) count(pi *framework.PodInfo, nodes []*framework.NodeInfo) counts {
	workers := min(p.parallelism, len(nodes)/64+1)
	if len(pi.Affinity.RequiredAffinity)+len(pi.Affinity.RequiredAntiAffinity) == 0 {
		// Only existing anti-affinity pods are visited: not worth a goroutine.
		workers = 1
	}
	// The first worker's maps receive the others': they get room for the
	// whole count, the others for their share.
	size := [3]int{int(p.sizes.existingAnti.Load()) + 1, int(p.sizes.affinity.Load()) + 1, int(p.sizes.anti.Load()) + 1}
	var total counts
	if workers == 1 {
		total.size = size
		for _, n := range nodes {
			p.countNode(&total, pi, n)
		}
	} else {
		parts := make([]counts, workers)
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := w*len(nodes)/workers, (w+1)*len(nodes)/workers
			parts[w].size = size
			if w > 0 {
				parts[w].size = [3]int{size[0]/workers + 1, size[1]/workers + 1, size[2]/workers + 1}
			}
			wg.Go(func() {
				for _, n := range nodes[lo:hi] {
					p.countNode(&parts[w], pi, n)
				}
			})
		}
		wg.Wait()
		total = parts[0]
		for w := 1; w < workers; w++ {
			mergeInto(&total.existingAnti, parts[w].existingAnti, size[0])
			mergeInto(&total.affinity, parts[w].affinity, size[1])
			mergeInto(&total.anti, parts[w].anti, size[2])
		}
	}
	p.sizes.existingAnti.Store(int64(len(total.existingAnti)))
	p.sizes.affinity.Store(int64(len(total.affinity)))
	p.sizes.anti.Store(int64(len(total.anti)))
	return total
}

func (p *InterPodAffinity) countNode(c *counts, pi *framework.PodInfo, n *framework.NodeInfo) {
	pod := pi.Pod
	for _, ex := range n.PodsWithRequiredAntiAffinity {
		for i := range ex.Affinity.RequiredAntiAffinity {
			t := &ex.Affinity.RequiredAntiAffinity[i]
			if t.Matches(pod, p.nsLabels) {
				c.existingAnti = addPair(c.existingAnti, c.size[0], n.Node, t.TopologyKey)
			}
		}
	}
	req, anti := pi.Affinity.RequiredAffinity, pi.Affinity.RequiredAntiAffinity
	if len(req) == 0 && len(anti) == 0 {
		return
	}
	for _, ex := range n.Pods {
		if len(req) > 0 && matchesAll(req, ex.Pod, p.nsLabels) {
			for i := range req {
				c.affinity = addPair(c.affinity, c.size[1], n.Node, req[i].TopologyKey)
			}
		}
		for i := range anti {
			if anti[i].Matches(ex.Pod, p.nsLabels) {
				c.anti = addPair(c.anti, c.size[2], n.Node, anti[i].TopologyKey)
			}
		}
	}
}

// addPair counts one for node's value of key (allocating m with room for
// size pairs if nil); nodes without the label do not count.
func addPair(m map[topologyPair]int, size int, node *v1.Node, key string) map[topologyPair]int {
	val, ok := node.Labels[key]
	if !ok {
		return m
	}
	if m == nil {
		m = make(map[topologyPair]int, size)
	}
	m[topologyPair{key, val}]++
	return m
}
