package framework

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"

	v1 "k8s.io/api/core/v1"
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
	// PodInfo is what the cycle computed for the pod (read-only), for
	// the caller to assume the pod without computing it again.
	PodInfo *PodInfo
}

// Algorithm picks a node for a pod over a Snapshot. Its only decision
// state is the rotating index where the next search starts; it also keeps
// scratch buffers between cycles. It is used by one goroutine.
type Algorithm struct {
	fw          *Framework
	percentage  int32
	parallelism int
	next        int
	nominator   *Nominator
	buf         scratch
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
	if len(snap.Nodes) == 0 {
		return Result{}, &FitError{Pod: pod}
	}
	c := a.buf.newCycle(snap, pod, a.nominator.forCycle(pod))
	defer a.buf.release()
	if st := a.fw.runPreFilter(ctx, c, pod, snap); !st.IsSuccess() {
		if err := st.AsError(); err != nil {
			return Result{}, err
		}
		fe := &FitError{Pod: pod, NumAllNodes: len(snap.Nodes), PreFilterMsg: st.Message(),
			NodeStatuses: make(map[string]*Status, len(snap.Nodes))}
		for _, n := range snap.Nodes {
			fe.NodeStatuses[n.Name()] = st
		}
		return Result{}, a.finishFitError(ctx, c, fe, snap)
	}
	feasible, rejected, err := a.findFeasible(ctx, c, pod, snap)
	if err != nil {
		return Result{}, err
	}
	if len(feasible) == 0 {
		fe := &FitError{Pod: pod, NumAllNodes: len(snap.Nodes), NodeStatuses: a.buf.rejections(snap.Nodes, rejected)}
		return Result{}, a.finishFitError(ctx, c, fe, snap)
	}
	res := Result{Evaluated: len(feasible) + rejected, Feasible: len(feasible), PodInfo: c.state.pod}
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
// every node is searched. It returns the feasible nodes (scratch, valid
// until the cycle ends) and how many nodes were rejected; their statuses
// stay in the scratch results, indexed by search position from the start
// index (see scratch.rejections).
func (a *Algorithm) findFeasible(ctx context.Context, c *cycle, pod *v1.Pod, snap *Snapshot) ([]*NodeInfo, int, error) {
	nodes := snap.Nodes
	n := len(nodes)
	want := NumFeasibleNodesToFind(a.percentage, n)
	start := a.next % n
	if len(c.filters()) == 0 && c.nominated == nil {
		out := a.buf.feasible[:0]
		for i := 0; i < want; i++ {
			out = append(out, nodes[(start+i)%n])
		}
		a.buf.feasible = out
		a.next = (start + want) % n
		return out, 0, nil
	}
	found, results := a.buf.positions(want, n)
	var foundLen, errCount atomic.Int32
	var stop atomic.Bool
	check := func(i int) {
		st := a.fw.filterWithNominated(ctx, c, pod, nodes[(start+i)%n])
		if st.IsSuccess() {
			l := int(foundLen.Add(1))
			if l > want {
				foundLen.Add(-1)
				return
			}
			found[l-1] = i
			if l == want {
				stop.Store(true)
			}
			return
		}
		if st.Code() == Error {
			errCount.Add(1)
			stop.Store(true)
		}
		results[i] = st
	}
	if a.parallelism == 1 || n < 32 {
		for i := 0; i < n && !stop.Load() && ctx.Err() == nil; i++ {
			check(i)
		}
	} else {
		a.buf.parallelize(ctx, a.parallelism, n, chunkSize(n, a.parallelism), &stop, check)
	}
	if ctx.Err() != nil {
		return nil, 0, ctx.Err()
	}
	if errCount.Load() > 0 {
		var errs []error
		for _, st := range results {
			if err := st.AsError(); err != nil {
				errs = append(errs, err)
			}
		}
		return nil, 0, errors.Join(errs...)
	}
	rejected := 0
	for _, st := range results {
		if st != nil {
			rejected++
		}
	}
	a.buf.start = start
	idx := found[:foundLen.Load()]
	slices.Sort(idx)
	out := a.buf.feasible[:0]
	for _, i := range idx {
		out = append(out, nodes[(start+i)%n])
	}
	a.buf.feasible = out
	a.next = (start + len(idx) + rejected) % n
	return out, rejected, nil
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
// total per feasible node (scratch, valid until the cycle ends).
func (a *Algorithm) score(ctx context.Context, c *cycle, pod *v1.Pod, nodes []*NodeInfo) ([]int64, error) {
	for _, p := range a.fw.preScore {
		st := p.PreScore(ctx, c.state, pod, nodes)
		if st.IsSkip() {
			c.skipScore = append(c.skipScore, p.Name())
		} else if !st.IsSuccess() {
			return nil, errors.New("prescore plugin " + p.Name() + ": " + st.Message())
		}
	}
	plugins := a.buf.plugins[:0]
	for _, p := range a.fw.score {
		if !slices.Contains(c.skipScore, p.Plugin.Name()) {
			plugins = append(plugins, p)
		}
	}
	a.buf.plugins = plugins
	scores, totals := a.buf.scoreRows(len(plugins), len(nodes))
	var failed atomic.Pointer[Status]
	var stop atomic.Bool
	scoreNode := func(i int) {
		node := nodes[i]
		name := node.Name()
		for j, p := range plugins {
			s, st := p.Plugin.Score(ctx, c.state, pod, node)
			if !st.IsSuccess() {
				failed.Store(st.WithPlugin(p.Plugin.Name()))
				return
			}
			scores[j][i] = NodeScore{Name: name, Score: s}
		}
	}
	if a.parallelism == 1 || len(nodes) < 32 {
		for i := range nodes {
			scoreNode(i)
		}
	} else {
		a.buf.parallelize(ctx, a.parallelism, len(nodes), chunkSize(len(nodes), a.parallelism), &stop, scoreNode)
	}
	if st := failed.Load(); st != nil {
		return nil, errors.New("score plugin " + st.Plugin() + ": " + st.Message())
	}
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
