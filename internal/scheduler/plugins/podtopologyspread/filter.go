package podtopologyspread

import (
	"context"
	"errors"
	"fmt"
	"math"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// Name is the plugin's upstream name.
const Name = "PodTopologySpread"

// Upstream reasons.
const (
	ReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ReasonNodeLabelNotMatch   = ReasonConstraintsNotMatch + " (missing required label)"
)

const (
	preFilterKey = framework.StateKey("PreFilter" + Name)
	preScoreKey  = framework.StateKey("PreScore" + Name)
)

var errNoState = errors.New("no PodTopologySpread state")

// PodTopologySpread is the plugin. The zero value applies the system
// default constraints but, knowing no workloads, builds no selector for
// them, so only pods' own constraints count.
type PodTopologySpread struct {
	args      Args
	workloads Workloads
	// system are SystemDefaultConstraints, made once by New (read-only).
	system []v1.TopologySpreadConstraint
	// matches keeps per-node counts of matching pods between cycles
	// (NodeMemo: reused only for unchanged nodes).
	matches framework.NodeMemo[nodeMatch]
}

// New returns the plugin with validated args; w (nil: none) is where the
// selector of default constraints comes from.
func New(args Args, w Workloads) (*PodTopologySpread, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("%s args: %w", Name, err)
	}
	return &PodTopologySpread{args: args, workloads: w, system: SystemDefaultConstraints()}, nil
}

var (
	_ framework.PreFilterPlugin = (*PodTopologySpread)(nil)
	_ framework.FilterPlugin    = (*PodTopologySpread)(nil)
	_ framework.PreScorePlugin  = (*PodTopologySpread)(nil)
	_ framework.ScorePlugin     = (*PodTopologySpread)(nil)
)

// Name returns Name.
func (*PodTopologySpread) Name() string { return Name }

// domains are the counts of one constraint per topology value, over the
// nodes that count.
type domains struct {
	counts map[string]int
	// min is the smallest count, or 0 when fewer than minDomains domains
	// exist.
	min int
}

type preFilterState struct {
	constraints []constraint
	domains     []domains
	// selfMatch is 1 for each constraint whose selector matches the pod.
	selfMatch []int
	// rejected and missingLabel are the cycle's rejection statuses, made
	// once: most nodes may be rejected and Filter then allocates nothing.
	rejected, missingLabel *framework.Status
}

// PreFilter counts the pods each DoNotSchedule constraint selects per
// topology value, over nodes that have every constraint's key and pass
// the constraint's node inclusion policies. No constraint: Skip.
func (p *PodTopologySpread) PreFilter(_ context.Context, state *framework.CycleState, pod *v1.Pod, snap *framework.Snapshot) *framework.Status {
	cs, _ := p.constraints(pod, v1.DoNotSchedule)
	if len(cs) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	s := &preFilterState{constraints: cs, domains: make([]domains, len(cs)), selfMatch: make([]int, len(cs)),
		rejected:     framework.NewStatus(framework.Unschedulable, ReasonConstraintsNotMatch).WithPlugin(Name),
		missingLabel: framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeLabelNotMatch).WithPlugin(Name)}
	for i := range cs {
		s.domains[i].counts = map[string]int{}
		if cs[i].Selector.Matches(labels.Set(pod.Labels)) {
			s.selfMatch[i] = 1
		}
	}
	matches := p.takeMatches(cs, pod.Namespace, len(snap.Nodes))
	defer p.matches.Put(matches)
	for pos, n := range snap.Nodes {
		m := matchesAt(matches, pos, n, cs, pod.Namespace)
		if !m.hasAll {
			continue
		}
		for i := range cs {
			if !cs[i].nodeCounts(pod, n.Node) {
				continue
			}
			s.domains[i].counts[m.per[i].val] += m.per[i].n
		}
	}
	for i := range s.domains {
		s.domains[i].setMin(cs[i].MinDomains)
	}
	state.Write(preFilterKey, s)
	return nil
}

// setMin sets d.min to the smallest count, or 0 when fewer than
// minDomains domains exist.
func (d *domains) setMin(minDomains int32) {
	d.min = 0
	if len(d.counts) < int(minDomains) {
		return
	}
	d.min = math.MaxInt
	for _, c := range d.counts {
		d.min = min(d.min, c)
	}
	if d.min == math.MaxInt {
		d.min = 0
	}
}

// Filter rejects a node lacking a constraint's key (unresolvable) or on
// which placing the pod would make count + self - min exceed maxSkew.
func (*PodTopologySpread) Filter(_ context.Context, state *framework.CycleState, _ *v1.Pod, node *framework.NodeInfo) *framework.Status {
	v, ok := state.Read(preFilterKey)
	if !ok {
		return framework.AsStatus(errNoState)
	}
	s := v.(*preFilterState)
	for i := range s.constraints {
		c := &s.constraints[i]
		val, ok := node.Node.Labels[c.TopologyKey]
		if !ok {
			return s.missingLabel
		}
		d := &s.domains[i]
		if d.counts[val]+s.selfMatch[i]-d.min > int(c.MaxSkew) {
			return s.rejected
		}
	}
	return nil
}
