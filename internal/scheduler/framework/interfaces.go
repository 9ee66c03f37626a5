package framework

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
)

// MaxNodeScore is the highest score a Score plugin may give after
// normalization; MinNodeScore the lowest.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is the parent of every extension point.
type Plugin interface {
	// Name is the plugin's upstream name, e.g. "NodeResourcesFit".
	Name() string
}

// PreFilterPlugin computes per-pod state once per cycle. It may write to
// state; it must not read or change anything outside pod and snap.
// Returning Skip disables the plugin's Filter for this cycle; a rejection
// makes the pod unschedulable on every node.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *v1.Pod, snap *Snapshot) *Status
}

// PreFilterExtensions lets a PreFilter plugin update the state it wrote
// when a pod is added to or removed from node during the cycle: preemption
// removes victims, nominated pods are added. node already reflects the
// change; podInfo is read-only. Only state the plugin wrote may change.
type PreFilterExtensions interface {
	AddPod(ctx context.Context, state *CycleState, podToSchedule *v1.Pod, podInfo *PodInfo, node *NodeInfo) *Status
	RemovePod(ctx context.Context, state *CycleState, podToSchedule *v1.Pod, podInfo *PodInfo, node *NodeInfo) *Status
}

// PreFilterExtender is a PreFilterPlugin whose state depends on the pods of
// the cluster and that can update it incrementally.
type PreFilterExtender interface {
	PreFilterPlugin
	// PreFilterExtensions returns nil when the plugin needs no updates.
	PreFilterExtensions() PreFilterExtensions
}

// StateCloner is implemented by CycleState values that PreFilterExtensions
// change: CycleState.Clone copies them with CloneState so the changes of
// one simulation do not leak into another. Values without it are shared.
type StateCloner interface {
	CloneState() any
}

// FilterPlugin decides whether pod fits node. It is called concurrently for
// different nodes of one cycle: it may read state but must not write it.
// nil (Success) means the node fits.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *v1.Pod, node *NodeInfo) *Status
}

// PostFilterPlugin runs when no node fits (preemption lives here). statuses
// holds the Filter verdict of every node by name and must not be modified.
// It returns the nominated node name ("" for none) and a status whose
// message is added to the FitError message.
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *v1.Pod, statuses map[string]*Status) (string, *Status)
}

// PreScorePlugin prepares per-pod scoring state over the feasible nodes;
// Skip disables its Score for this cycle. nodes is the framework's buffer,
// reused by the next cycle: read it, do not keep it.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *v1.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks a feasible node. It is called concurrently for
// different nodes; it must not write state. Without ScoreExtensions the
// score must already lie in [MinNodeScore, MaxNodeScore].
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *v1.Pod, node *NodeInfo) (int64, *Status)
	// ScoreExtensions returns nil when the plugin needs no normalization.
	ScoreExtensions() ScoreExtensions
}

// ScoreExtensions rescales the raw scores of all feasible nodes in place
// into [MinNodeScore, MaxNodeScore]. scores is the framework's buffer,
// reused by the next cycle: do not keep it.
type ScoreExtensions interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *v1.Pod, scores []NodeScore) *Status
}

// Explainer is an optional Capstan extension (not upstream): after a pod
// failed everywhere, a plugin may name the smallest change that would let it
// fit, as one sentence, or "" when it has nothing cheap to say.
type Explainer interface {
	Plugin
	Explain(pod *v1.Pod, snap *Snapshot, statuses map[string]*Status) string
}

// NodeScore is one node's score.
type NodeScore struct {
	Name  string
	Score int64
}

// StateKey names a value in CycleState; plugins use their own name.
type StateKey string

// CycleState carries plugin data through one scheduling cycle. Writes happen
// only in PreFilter, PreFilterExtensions and PreScore, which run on one
// goroutine per state; Filter and Score only read, so no lock is needed.
// Never shared between cycles.
type CycleState struct {
	// values are few (one or two per plugin): a slice searched in order
	// beats hashing the key on every Filter and Score call.
	values   []stateValue
	snapshot *Snapshot
	// pod is the PodInfo of the pod being scheduled, computed once per
	// cycle by the framework (nil in states made by NewCycleState).
	pod *PodInfo
	// run is the cycle's filter and extension runner, set once every
	// PreFilter passed.
	run *cycleRunner
}

// cycleRunner holds what RunFilters, AddPod and RemovePod run: the Filter
// plugins and PreFilterExtensions PreFilter did not skip.
type stateValue struct {
	key   StateKey
	value any
}

type cycleRunner struct {
	filters    []FilterPlugin
	extensions []namedExtensions
}

type namedExtensions struct {
	name string
	ext  PreFilterExtensions
}

// RunFilters runs the cycle's Filter plugins (those PreFilter did not
// skip) for pod on node, which may be a modified copy of a snapshot node:
// preemption uses it to test a node with victims removed, after telling
// the state through RemovePod. Unless every PreFilter passed it reports
// Unschedulable: nothing can be tested.
func (c *CycleState) RunFilters(ctx context.Context, pod *v1.Pod, node *NodeInfo) *Status {
	if c.run == nil {
		return NewStatus(Unschedulable, "prefilter did not pass")
	}
	return runFilters(ctx, c.run.filters, c, pod, node)
}

// AddPod tells the PreFilterExtensions of the cycle that added was added to
// node (already changed); the first failure is returned.
func (c *CycleState) AddPod(ctx context.Context, pod *v1.Pod, added *PodInfo, node *NodeInfo) *Status {
	return c.runExtensions(ctx, pod, added, node, true)
}

// RemovePod tells the PreFilterExtensions of the cycle that removed was
// removed from node (already changed).
func (c *CycleState) RemovePod(ctx context.Context, pod *v1.Pod, removed *PodInfo, node *NodeInfo) *Status {
	return c.runExtensions(ctx, pod, removed, node, false)
}

func (c *CycleState) runExtensions(ctx context.Context, pod *v1.Pod, pi *PodInfo, node *NodeInfo, add bool) *Status {
	if c.run == nil {
		return nil
	}
	for _, e := range c.run.extensions {
		var st *Status
		if add {
			st = e.ext.AddPod(ctx, c, pod, pi, node)
		} else {
			st = e.ext.RemovePod(ctx, c, pod, pi, node)
		}
		if st.Code() == Error {
			return AsStatus(fmt.Errorf("prefilter extensions of %s: %w", e.name, st.AsError())).WithPlugin(e.name)
		}
		if !st.IsSuccess() {
			return st.WithPlugin(e.name)
		}
	}
	return nil
}

// Clone returns a state whose StateCloner values are copies; the others,
// the snapshot and the runner are shared. Cheap when no plugin keeps
// pod-dependent state.
func (c *CycleState) Clone() *CycleState {
	out := &CycleState{values: make([]stateValue, len(c.values)), snapshot: c.snapshot, pod: c.pod, run: c.run}
	for i, kv := range c.values {
		if cl, ok := kv.value.(StateCloner); ok {
			kv.value = cl.CloneState()
		}
		out.values[i] = kv
	}
	return out
}

// NewCycleState returns an empty state for a cycle over snap.
func NewCycleState(snap *Snapshot) *CycleState {
	return &CycleState{snapshot: snap}
}

// Snapshot is the snapshot of the cycle (read-only), for plugins that need
// cluster-wide numbers such as ImageLocality.
func (c *CycleState) Snapshot() *Snapshot { return c.snapshot }

// PodInfo returns the PodInfo of pod: the one computed once for the
// cycle's pod when pod is that pod, else a new one. It only reads the
// state, so Filter and Score may call it; the result is read-only.
func (c *CycleState) PodInfo(pod *v1.Pod) *PodInfo {
	if pi, ok := c.CyclePodInfo(pod); ok {
		return pi
	}
	return NewPodInfo(pod)
}

// CyclePodInfo returns the PodInfo computed once for the cycle's pod, if
// pod is that pod (read-only); unlike PodInfo it computes nothing.
func (c *CycleState) CyclePodInfo(pod *v1.Pod) (*PodInfo, bool) {
	if c != nil && c.pod != nil && c.pod.Pod == pod {
		return c.pod, true
	}
	return nil, false
}

// Write stores v under k.
func (c *CycleState) Write(k StateKey, v any) {
	for i := range c.values {
		if c.values[i].key == k {
			c.values[i].value = v
			return
		}
	}
	c.values = append(c.values, stateValue{k, v})
}

// Read returns the value under k and whether it was there.
func (c *CycleState) Read(k StateKey) (any, bool) {
	for i := range c.values {
		if c.values[i].key == k {
			return c.values[i].value, true
		}
	}
	return nil, false
}

// DefaultNormalizeScore scales scores so the highest becomes maxPriority; if
// reverse, high raw scores become low. All-zero input stays zero (or
// maxPriority everywhere when reverse), as upstream's helper.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []NodeScore) {
	var maxCount int64
	for _, s := range scores {
		maxCount = max(maxCount, s.Score)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return
	}
	for i := range scores {
		score := maxPriority * scores[i].Score / maxCount
		if reverse {
			score = maxPriority - score
		}
		scores[i].Score = score
	}
}
