package defaultpreemption

import (
	"context"
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// Name is the plugin's upstream name.
const Name = "DefaultPreemption"

// Upstream per-node reasons and eligibility messages.
const (
	ReasonNotHelpful        = "Preemption is not helpful for scheduling"
	ReasonNoVictims         = "No preemption victims found for incoming pod"
	NotEligibleNever        = "not eligible due to preemptionPolicy=Never"
	NotEligibleTerminating  = "not eligible due to a terminating pod on the nominated node"
	DisruptionReason        = "PreemptionByScheduler"
	preemptedEventReason    = "Preempted"
	preemptingEventAction   = "Preempting"
	disruptionMessageFormat = "%s: preempting to accommodate a higher priority pod"
)

// Evictor carries out a preemption decision: it deletes the victims (with
// a DisruptionTarget condition and a Preempted event), clears the
// status.nominatedNodeName of the pods in unnominate (lower-priority pods
// nominated to the same node, which must be scheduled again), and records
// node as the preemptor's status.nominatedNodeName. The pods are read-only.
type Evictor interface {
	Preempt(ctx context.Context, preemptor *v1.Pod, node string, victims, unnominate []*v1.Pod) error
}

// Options are the plugin's collaborators; all may be nil.
type Options struct {
	// Evictor acts on the decision; nil only decides (tests, dry runs).
	Evictor Evictor
	// PDBs lists the PodDisruptionBudgets; nil means none.
	PDBs func() ([]*policyv1.PodDisruptionBudget, error)
	// Nominator tells the node a pod was nominated to before its status
	// shows it; a preemption takes the nominations of lower-priority pods
	// on its node away from it.
	Nominator *framework.Nominator
	// Attempted is called at each preemption attempt (every PostFilter);
	// Victims with the number of victims of each preemption carried out.
	// Either may be nil (metrics).
	Attempted func()
	Victims   func(n int)
}

// DefaultPreemption is the plugin.
type DefaultPreemption struct {
	opts Options
}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

// New returns the plugin.
func New(o Options) *DefaultPreemption { return &DefaultPreemption{opts: o} }

// Name returns Name.
func (*DefaultPreemption) Name() string { return Name }

// PostFilter preempts for pod if it may: it returns the chosen node with
// Success after the Evictor acted, or a status whose message is upstream's
// "preemption: ..." explanation.
func (p *DefaultPreemption) PostFilter(ctx context.Context, state *framework.CycleState, pod *v1.Pod, statuses map[string]*framework.Status) (string, *framework.Status) {
	if p.opts.Attempted != nil {
		p.opts.Attempted() // every call counts, as upstream's preemption_attempts_total
	}
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == v1.PreemptNever {
		return "", framework.NewStatus(framework.Unschedulable, "preemption: "+NotEligibleNever)
	}
	var snap *framework.Snapshot
	if state != nil {
		snap = state.Snapshot()
	}
	if snap != nil && !p.eligible(pod, snap, statuses) {
		return "", framework.NewStatus(framework.Unschedulable, "preemption: "+NotEligibleTerminating)
	}
	pdbs, err := p.listPDBs()
	if err != nil {
		return "", framework.AsStatus(err)
	}
	per := make(map[string]*framework.Status, len(statuses))
	var cands []candidate
	names := make([]string, 0, len(statuses))
	for name := range statuses {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if statuses[name].Code() == framework.UnschedulableAndUnresolvable {
			per[name] = framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNotHelpful)
			continue
		}
		var node *framework.NodeInfo
		if snap != nil {
			node = snap.ByName[name]
		}
		c, ok, err := selectVictims(ctx, state, pod, node, pdbs)
		if err != nil {
			return "", framework.AsStatus(fmt.Errorf("select victims on node %s: %w", name, err))
		}
		if !ok {
			per[name] = framework.NewStatus(framework.Unschedulable, ReasonNoVictims)
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		total := len(statuses)
		if snap != nil {
			total = len(snap.Nodes)
		}
		msg := fmt.Sprintf("preemption: 0/%d nodes are available: %s", total, framework.ReasonHistogram(per))
		return "", framework.NewStatus(framework.Unschedulable, msg)
	}
	best := pickCandidate(cands)
	if err := p.act(ctx, pod, best); err != nil {
		return "", framework.AsStatus(err)
	}
	return best.node, nil
}

// act carries out the chosen preemption: the victims go and the pods of
// lower priority nominated to the node lose their nomination (in the
// Nominator at once, in their status through the Evictor), as upstream's
// prepareCandidate.
func (p *DefaultPreemption) act(ctx context.Context, pod *v1.Pod, best candidate) error {
	if p.opts.Victims != nil {
		p.opts.Victims(len(best.victims))
	}
	var lower []*v1.Pod
	if p.opts.Nominator != nil {
		lower = p.opts.Nominator.LowerPriority(best.node, framework.PodPriority(pod))
	}
	if p.opts.Evictor != nil {
		victims := make([]*v1.Pod, len(best.victims))
		for i, pi := range best.victims {
			victims[i] = pi.Pod
		}
		if err := p.opts.Evictor.Preempt(ctx, pod, best.node, victims, lower); err != nil {
			return fmt.Errorf("preempt on node %s: %w", best.node, err)
		}
	}
	for _, l := range lower {
		p.opts.Nominator.Remove(l.UID)
	}
	return nil
}

// eligible is upstream's PodEligibleToPreemptOthers: a pod already
// nominated to a node where a lower-priority pod is terminating waits for
// it instead of preempting again, unless that node is now out of reach.
func (p *DefaultPreemption) eligible(pod *v1.Pod, snap *framework.Snapshot, statuses map[string]*framework.Status) bool {
	nominated := pod.Status.NominatedNodeName
	if p.opts.Nominator != nil {
		if n := p.opts.Nominator.NominatedNode(pod.UID); n != "" {
			nominated = n
		}
	}
	if nominated == "" {
		return true
	}
	if statuses[nominated].Code() == framework.UnschedulableAndUnresolvable {
		return true
	}
	node := snap.ByName[nominated]
	if node == nil {
		return true
	}
	prio := framework.PodPriority(pod)
	for _, pi := range node.Pods {
		if pi.Pod.DeletionTimestamp != nil && framework.PodPriority(pi.Pod) < prio {
			return false
		}
	}
	return true
}

func (p *DefaultPreemption) listPDBs() ([]*policyv1.PodDisruptionBudget, error) {
	if p.opts.PDBs == nil {
		return nil, nil
	}
	pdbs, err := p.opts.PDBs()
	if err != nil {
		return nil, fmt.Errorf("list pod disruption budgets: %w", err)
	}
	return pdbs, nil
}
