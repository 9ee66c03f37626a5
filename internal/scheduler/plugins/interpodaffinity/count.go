package interpodaffinity

import (
	"sync"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// counts are the three PreFilter counts (or a worker's share of them);
// maps are allocated only when something counts.
type counts struct {
	existingAnti, affinity, anti map[topologyPair]int
}

func (c *counts) merge(o *counts) {
	add := func(dst *map[topologyPair]int, src map[topologyPair]int) {
		for k, v := range src {
			if *dst == nil {
				*dst = map[topologyPair]int{}
			}
			(*dst)[k] += v
		}
	}
	add(&c.existingAnti, o.existingAnti)
	add(&c.affinity, o.affinity)
	add(&c.anti, o.anti)
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
	parts := make([]counts, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(nodes)/workers, (w+1)*len(nodes)/workers
		wg.Go(func() {
			for _, n := range nodes[lo:hi] {
				p.countNode(&parts[w], pi, n)
			}
		})
	}
	wg.Wait()
	total := parts[0]
	for w := 1; w < workers; w++ {
		total.merge(&parts[w])
	}
	return total
}

func (p *InterPodAffinity) countNode(c *counts, pi *framework.PodInfo, n *framework.NodeInfo) {
	pod := pi.Pod
	for _, ex := range n.PodsWithRequiredAntiAffinity {
		for i := range ex.Affinity.RequiredAntiAffinity {
			t := &ex.Affinity.RequiredAntiAffinity[i]
			if t.Matches(pod, p.nsLabels) {
				c.existingAnti = addPair(c.existingAnti, n.Node, t.TopologyKey)
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
				c.affinity = addPair(c.affinity, n.Node, req[i].TopologyKey)
			}
		}
		for i := range anti {
			if anti[i].Matches(ex.Pod, p.nsLabels) {
				c.anti = addPair(c.anti, n.Node, anti[i].TopologyKey)
			}
		}
	}
}

// addPair counts one for node's value of key (allocating m if nil); nodes
// without the label do not count.
func addPair(m map[topologyPair]int, node *v1.Node, key string) map[topologyPair]int {
	return addPairDelta(m, node, key, 1)
}
