package framework

import (
	"context"
	"sync"
	"sync/atomic"

	v1 "k8s.io/api/core/v1"
)

// scratch holds the buffers one Algorithm reuses from cycle to cycle, so
// that a decision allocates next to nothing per node. It carries no
// decision state: every cycle overwrites what it reads, and release clears
// what holds pointers (statuses, NodeInfos, plugin state) once the cycle
// is over, so nothing of a cycle stays reachable until the next one.
type scratch struct {
	cycle cycle
	state CycleState
	// runners memoizes the cycle runner per set of skipped PreFilter
	// plugins (bit i: plugin i skipped); the Framework never changes.
	runners map[uint64]*cycleRunner
	// skipFilter and skipScore back the cycle's lists of skipped plugins.
	skipFilter, skipScore []string
	// found holds the search positions of feasible nodes; results the
	// status of each searched position (nil: fits or not searched), the
	// positions counting from node index start.
	found   []int
	results []*Status
	start   int
	// feasible are the feasible nodes in search order.
	feasible []*NodeInfo
	plugins  []WeightedScore
	// scores holds one row per Score plugin, backed by one array.
	scores  [][]NodeScore
	scoreAt []NodeScore
	totals  []int64
	par     parallel
}

// newCycle resets the reused cycle and state for pod's cycle over snap.
func (b *scratch) newCycle(snap *Snapshot, pod *v1.Pod, nominated map[string][]*PodInfo) *cycle {
	if b.runners == nil {
		b.runners = map[uint64]*cycleRunner{}
	}
	b.state.snapshot, b.state.pod, b.state.run = snap, NewPodInfo(pod), nil
	b.cycle = cycle{state: &b.state, skipFilter: b.skipFilter[:0], skipScore: b.skipScore[:0],
		runners: b.runners, nominated: nominated}
	return &b.cycle
}

// release drops every pointer the cycle left in the buffers.
func (b *scratch) release() {
	b.skipFilter, b.skipScore = b.cycle.skipFilter[:0], b.cycle.skipScore[:0]
	b.cycle = cycle{}
	clear(b.state.values)
	b.state.values = b.state.values[:0]
	b.state.snapshot, b.state.pod, b.state.run = nil, nil, nil
	clear(b.results)
	clear(b.feasible[:cap(b.feasible)])
	clear(b.plugins[:cap(b.plugins)])
	clear(b.scoreAt)
}

// positions returns found with room for want entries and results with n
// nil entries.
func (b *scratch) positions(want, n int) ([]int, []*Status) {
	if cap(b.found) < want {
		b.found = make([]int, want)
	}
	if cap(b.results) < n {
		b.results = make([]*Status, n)
	}
	b.results = b.results[:n]
	clear(b.results)
	return b.found[:want], b.results
}

// rejections maps the name of each node with a status in results to it;
// count is how many there are.
func (b *scratch) rejections(nodes []*NodeInfo, count int) map[string]*Status {
	statuses := make(map[string]*Status, count)
	for i, st := range b.results {
		if st != nil {
			statuses[nodes[(b.start+i)%len(nodes)].Name()] = st
		}
	}
	return statuses
}

// scoreRows returns rows zeroed rows of n NodeScores and n zeroed totals.
func (b *scratch) scoreRows(rows, n int) ([][]NodeScore, []int64) {
	if cap(b.scoreAt) < rows*n {
		b.scoreAt = make([]NodeScore, rows*n)
	}
	b.scoreAt = b.scoreAt[:rows*n]
	clear(b.scoreAt)
	b.scores = b.scores[:0]
	for j := range rows {
		b.scores = append(b.scores, b.scoreAt[j*n:(j+1)*n:(j+1)*n])
	}
	if cap(b.totals) < n {
		b.totals = make([]int64, n)
	}
	b.totals = b.totals[:n]
	clear(b.totals)
	return b.scores, b.totals
}

// parallel hands out the indexes of one parallel loop; kept in scratch so
// that a loop allocates no counter, wait group or channel.
type parallel struct {
	n, chunk, chunks int
	done             <-chan struct{}
	stop             *atomic.Bool
	work             func(i int)
	next             atomic.Int64
	wg               sync.WaitGroup
}

// parallelize calls work(i) for every i in [0, n) on up to workers
// goroutines (the caller's included), handing out chunks of chunk indexes
// in increasing order, as client-go's workqueue.ParallelizeUntil does
// without its per-call channel. It stops handing out indexes once stop is
// set or ctx is done, and returns when every started call returned.
func (b *scratch) parallelize(ctx context.Context, workers, n, chunk int, stop *atomic.Bool, work func(i int)) {
	p := &b.par
	p.n, p.chunk, p.chunks = n, chunk, (n+chunk-1)/chunk
	p.done, p.stop, p.work = ctx.Done(), stop, work
	p.next.Store(0)
	for range min(workers, p.chunks) - 1 {
		p.wg.Go(p.run)
	}
	p.run()
	p.wg.Wait()
	p.done, p.stop, p.work = nil, nil, nil
}

func (p *parallel) run() {
	for {
		c := int(p.next.Add(1) - 1)
		if c >= p.chunks {
			return
		}
		for i := c * p.chunk; i < min((c+1)*p.chunk, p.n); i++ {
			if p.stop.Load() {
				return
			}
			if p.done != nil { // nil: the context is never done
				select {
				case <-p.done:
					return
				default:
				}
			}
			p.work(i)
		}
	}
}
