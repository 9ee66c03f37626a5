package framework

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
)

// Feasible-node search limits, as upstream.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// NumFeasibleNodesToFind is how many feasible nodes a cycle looks for
// before it stops filtering. percentage 0 is adaptive: 50% minus one point
// per 125 nodes, at least 5%; small clusters (<100) are searched fully and
// at least 100 nodes are always looked for.
func NumFeasibleNodesToFind(percentage int32, numAllNodes int) int {
	n := int32(numAllNodes)
	if n < minFeasibleNodesToFind || percentage >= 100 {
		return numAllNodes
	}
	if percentage <= 0 {
		percentage = 50 - n/125
		if percentage < minFeasibleNodesPercentageToFind {
			percentage = minFeasibleNodesPercentageToFind
		}
	}
	num := n * percentage / 100
	if num < minFeasibleNodesToFind {
		return minFeasibleNodesToFind
	}
	return int(num)
}

// Result is a successful decision.
type Result struct {
	Node      string
	Evaluated int // nodes filtered
	Feasible  int // nodes that passed
}

// Algorithm picks a node for a pod over a Snapshot. Its only state is the
// rotating index where the next search starts; it is used by one goroutine.
type Algorithm struct {
	fw          *Framework
	percentage  int32
	parallelism int
	next        int
	nominator   *Nominator
}

// WithNominator makes a keep room on nominated nodes for the pods in n
// and record there the nominations PostFilter makes; it returns a.
func (a *Algorithm) WithNominator(n *Nominator) *Algorithm {
	a.nominator = n
	return a
}

// NewAlgorithm returns an Algorithm over fw; percentage is
// percentageOfNodesToScore (0 = adaptive); parallelism < 1 means 1.
func NewAlgorithm(fw *Framework, percentage int32, parallelism int) *Algorithm {
	return &Algorithm{fw: fw, percentage: percentage, parallelism: max(parallelism, 1)}
}

// Schedule decides where pod goes. A pod that fits nowhere yields a
// *FitError; any other error is a fault of a plugin or of ctx.
func (a *Algorithm) Schedule(ctx context.Context, pod *v1.Pod, snap *Snapshot) (Result, error) {
	c := &cycle{state: NewCycleState(snap), skipFilter: map[string]bool{}, skipScore: map[string]bool{},
		nominated: a.nominator.forCycle(pod)}
	if len(snap.Nodes) == 0 {
		return Result{}, &FitError{Pod: pod}
	}
	if st := a.fw.runPreFilter(ctx, c, pod, snap); !st.IsSuccess() {
		if err := st.AsError(); err != nil {
			return Result{}, err
		}
		fe := &FitError{Pod: pod, NumAllNodes: len(snap.Nodes), PreFilterMsg: st.Message(), NodeStatuses: map[string]*Status{}}
		for _, n := range snap.Nodes {
			fe.NodeStatuses[n.Name()] = st
		}
		return Result{}, a.finishFitError(ctx, c, fe, snap)
	}
	feasible, statuses, err := a.findFeasible(ctx, c, pod, snap)
	if err != nil {
		return Result{}, err
	}
	if len(feasible) == 0 {
		fe := &FitError{Pod: pod, NumAllNodes: len(snap.Nodes), NodeStatuses: statuses}
		return Result{}, a.finishFitError(ctx, c, fe, snap)
	}
	res := Result{Evaluated: len(feasible) + len(statuses), Feasible: len(feasible)}
	if len(feasible) == 1 {
		res.Node = feasible[0].Name()
		return res, nil
	}
	totals, err := a.score(ctx, c, pod, feasible)
	if err != nil {
		return Result{}, err
	}
	best := 0
	for i, t := range totals {
		if t > totals[best] {
			best = i
		}
	}
	res.Node = feasible[best].Name()
	return res, nil
}

func (a *Algorithm) finishFitError(ctx context.Context, c *cycle, fe *FitError, snap *Snapshot) error {
	fe.NominatedNode, fe.PostFilterMsg = a.fw.runPostFilter(ctx, c, fe.Pod, fe.NodeStatuses)
	if fe.NominatedNode != "" && a.nominator != nil {
		a.nominator.Set(fe.Pod, fe.NominatedNode)
	}
	fe.Hint = a.fw.explain(fe.Pod, snap, fe.NodeStatuses)
	return fe
}

// findFeasible filters nodes in parallel from the rotating start index and
// stops once enough feasible nodes are found. Feasible nodes come back in
// search order, so the decision does not depend on goroutine timing when
// every node is searched.
func (a *Algorithm) findFeasible(ctx context.Context, c *cycle, pod *v1.Pod, snap *Snapshot) ([]*NodeInfo, map[string]*Status, error) {
	nodes := snap.Nodes
	n := len(nodes)
	want := NumFeasibleNodesToFind(a.percentage, n)
	start := a.next % n
	if len(c.filters()) == 0 && c.nominated == nil {
		out := make([]*NodeInfo, 0, want)
		for i := 0; i < want; i++ {
			out = append(out, nodes[(start+i)%n])
		}
		a.next = (start + want) % n
		return out, map[string]*Status{}, nil
	}
	found := make([]int, want)
	var foundLen atomic.Int32
	results := make([]*Status, n)
	var errCount atomic.Int32
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	check := func(i int) {
		st := a.fw.filterWithNominated(fctx, c, pod, nodes[(start+i)%n])
		if st.IsSuccess() {
			l := int(foundLen.Add(1))
			if l > want {
				foundLen.Add(-1)
				return
			}
			found[l-1] = i
			if l == want {
				cancel()
			}
			return
		}
		if st.Code() == Error {
			errCount.Add(1)
			cancel()
		}
		results[i] = st
	}
	if a.parallelism == 1 || n < 32 {
		for i := 0; i < n && fctx.Err() == nil; i++ {
			check(i)
		}
	} else {
		workqueue.ParallelizeUntil(fctx, a.parallelism, n, check, workqueue.WithChunkSize(chunkSize(n, a.parallelism)))
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	statuses := make(map[string]*Status)
	var errs []error
	for i, st := range results {
		if st == nil {
			continue
		}
		if err := st.AsError(); err != nil {
			errs = append(errs, err)
		}
		statuses[nodes[(start+i)%n].Name()] = st
	}
	if errCount.Load() > 0 {
		return nil, nil, errors.Join(errs...)
	}
	idx := found[:foundLen.Load()]
	slices.Sort(idx)
	out := make([]*NodeInfo, len(idx))
	for k, i := range idx {
		out[k] = nodes[(start+i)%n]
	}
	a.next = (start + len(idx) + len(statuses)) % n
	return out, statuses, nil
}

// chunkSize spreads n pieces over workers in chunks of about sqrt(n),
// bounded so each worker gets several chunks.
func chunkSize(n, workers int) int {
	s := int(math.Sqrt(float64(n)))
	if r := n/(workers*4) + 1; r < s {
		s = r
	}
	return max(s, 1)
}

// score runs PreScore, Score and NormalizeScore and returns the weighted
// total per feasible node.
func (a *Algorithm) score(ctx context.Context, c *cycle, pod *v1.Pod, nodes []*NodeInfo) ([]int64, error) {
	for _, p := range a.fw.preScore {
		st := p.PreScore(ctx, c.state, pod, nodes)
		if st.IsSkip() {
			c.skipScore[p.Name()] = true
		} else if !st.IsSuccess() {
			return nil, errors.New("prescore plugin " + p.Name() + ": " + st.Message())
		}
	}
	plugins := make([]WeightedScore, 0, len(a.fw.score))
	for _, p := range a.fw.score {
		if !c.skipScore[p.Plugin.Name()] {
			plugins = append(plugins, p)
		}
	}
	scores := make([][]NodeScore, len(plugins))
	for j := range plugins {
		scores[j] = make([]NodeScore, len(nodes))
	}
	var failed atomic.Pointer[Status]
	scoreNode := func(i int) {
		for j, p := range plugins {
			s, st := p.Plugin.Score(ctx, c.state, pod, nodes[i])
			if !st.IsSuccess() {
				failed.Store(st.WithPlugin(p.Plugin.Name()))
				return
			}
			scores[j][i] = NodeScore{Name: nodes[i].Name(), Score: s}
		}
	}
	if a.parallelism == 1 || len(nodes) < 32 {
		for i := range nodes {
			scoreNode(i)
		}
	} else {
		workqueue.ParallelizeUntil(ctx, a.parallelism, len(nodes), scoreNode, workqueue.WithChunkSize(chunkSize(len(nodes), a.parallelism)))
	}
	if st := failed.Load(); st != nil {
		return nil, errors.New("score plugin " + st.Plugin() + ": " + st.Message())
	}
	totals := make([]int64, len(nodes))
	for j, p := range plugins {
		if ext := p.Plugin.ScoreExtensions(); ext != nil {
			if st := ext.NormalizeScore(ctx, c.state, pod, scores[j]); !st.IsSuccess() {
				return nil, errors.New("normalize score plugin " + p.Plugin.Name() + ": " + st.Message())
			}
		}
		for i := range nodes {
			totals[i] += scores[j][i].Score * p.Weight
		}
	}
	return totals, nil
}
