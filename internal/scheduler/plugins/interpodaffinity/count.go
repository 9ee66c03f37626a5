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
// existing pods matching each of pi's required anti-affinity terms. What a
// node contributes is remembered in p.memo for pods of the same shape
// (memoKey) and recomputed only for nodes changed since.
func (p *InterPodAffinity) count(pi *framework.PodInfo, nodes []*framework.NodeInfo) counts {
	hasTerms := len(pi.Affinity.RequiredAffinity)+len(pi.Affinity.RequiredAntiAffinity) > 0
	workers := min(p.parallelism, len(nodes)/64+1)
	if !hasTerms {
		// Only existing anti-affinity pods are visited: not worth a goroutine.
		workers = 1
	}
	var memo *framework.MemoTable[*nodeCount]
	if hasTerms || anyAntiAffinity(nodes) {
		if key, ok := memoKey(pi); ok {
			var warm bool
			memo, warm = p.memo.Take(key, len(nodes))
			defer p.memo.Put(memo)
			if warm {
				// Most nodes are remembered: goroutines would cost more
				// than they save.
				workers = 1
			}
		}
	}
	// The first worker's maps receive the others': they get room for the
	// whole count, the others for their share.
	size := [3]int{int(p.sizes.existingAnti.Load()) + 1, int(p.sizes.affinity.Load()) + 1, int(p.sizes.anti.Load()) + 1}
	var total counts
	if workers == 1 {
		total.size = size
		p.countRange(&total, pi, nodes, 0, len(nodes), memo)
	} else {
		parts := make([]counts, workers)
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := w*len(nodes)/workers, (w+1)*len(nodes)/workers
			parts[w].size = size
			if w > 0 {
				parts[w].size = [3]int{size[0]/workers + 1, size[1]/workers + 1, size[2]/workers + 1}
			}
			wg.Go(func() { p.countRange(&parts[w], pi, nodes, lo, hi, memo) })
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

// anyAntiAffinity reports whether a pod on nodes has a required
// anti-affinity term.
func anyAntiAffinity(nodes []*framework.NodeInfo) bool {
	for _, n := range nodes {
		if len(n.PodsWithRequiredAntiAffinity) > 0 {
			return true
		}
	}
	return false
}

// countRange counts nodes[lo:hi] into c, through memo when not nil.
func (p *InterPodAffinity) countRange(c *counts, pi *framework.PodInfo, nodes []*framework.NodeInfo, lo, hi int, memo *framework.MemoTable[*nodeCount]) {
	hasTerms := len(pi.Affinity.RequiredAffinity)+len(pi.Affinity.RequiredAntiAffinity) > 0
	for i := lo; i < hi; i++ {
		n := nodes[i]
		if !hasTerms && len(n.PodsWithRequiredAntiAffinity) == 0 {
			continue
		}
		if memo == nil {
			nc, _ := p.scanNode(pi, n)
			c.add(n.Node, pi, &nc)
			continue
		}
		if hit := memo.Get(i, n); hit != nil {
			if *hit != nil {
				c.add(n.Node, pi, *hit)
			}
			continue
		}
		v, cacheable := p.scanNode(pi, n)
		if cacheable {
			var keep *nodeCount // nil: nothing counted, the common case
			if !v.zero() {
				keep = &v
			}
			memo.Set(i, n, keep)
		}
		c.add(n.Node, pi, &v)
	}
}

// addPair counts k for node's value of key (allocating m with room for
// size pairs if nil); nodes without the label do not count.
func addPair(m map[topologyPair]int, size int, node *v1.Node, key string, k int) map[topologyPair]int {
	val, ok := node.Labels[key]
	if !ok {
		return m
	}
	if m == nil {
		m = make(map[topologyPair]int, size)
	}
	m[topologyPair{key, val}] += k
	return m
}
