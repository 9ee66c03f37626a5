package interpodaffinity

import (
	"context"
	"errors"
	"runtime"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// Name is the plugin's upstream name.
const Name = "InterPodAffinity"

// Upstream reasons.
const (
	ReasonAffinityRulesNotMatch              = "node(s) didn't match pod affinity rules"
	ReasonAntiAffinityRulesNotMatch          = "node(s) didn't match pod anti-affinity rules"
	ReasonExistingAntiAffinityNotMatch       = "node(s) didn't satisfy existing pods anti-affinity rules"
	preFilterKey                             = framework.StateKey("PreFilter" + Name)
	preScoreKey                              = framework.StateKey("PreScore" + Name)
	defaultHardPodAffinityWeight       int32 = 1
)

var errNoState = errors.New("no InterPodAffinity prefilter state")

// Options configure the plugin.
type Options struct {
	// Parallelism is how many goroutines PreFilter counts with; 0 means
	// GOMAXPROCS.
	Parallelism int
	// NamespaceLabels returns the labels of a namespace (nil if unknown);
	// nil means no lookups: only terms naming namespaces, or with an empty
	// namespaceSelector, match pods of other namespaces.
	NamespaceLabels func(ns string) labels.Set
	// HardPodAffinityWeight is the score weight of existing pods' required
	// affinity terms matching the incoming pod; 0 means 1 as upstream.
	HardPodAffinityWeight int32
}

// InterPodAffinity is the plugin.
type InterPodAffinity struct {
	nsLabels    func(ns string) labels.Set
	hardWeight  int32
	parallelism int
	sizes       sizeHints
	// memo keeps PreFilter's per-node counts between cycles (NodeMemo:
	// reused only for unchanged nodes, so answers are as if recounted),
	// for up to memoShapes incoming pod shapes.
	memo framework.NodeMemo[*nodeCount]
}

var (
	_ framework.PreFilterPlugin = (*InterPodAffinity)(nil)
	_ framework.FilterPlugin    = (*InterPodAffinity)(nil)
	_ framework.PreScorePlugin  = (*InterPodAffinity)(nil)
	_ framework.ScorePlugin     = (*InterPodAffinity)(nil)
)

// New returns the plugin.
func New(o Options) *InterPodAffinity {
	if o.HardPodAffinityWeight == 0 {
		o.HardPodAffinityWeight = defaultHardPodAffinityWeight
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	p := &InterPodAffinity{nsLabels: o.NamespaceLabels, hardWeight: o.HardPodAffinityWeight, parallelism: o.Parallelism}
	p.memo.Limit = memoShapes
	return p
}

// Name returns Name.
func (*InterPodAffinity) Name() string { return Name }

type topologyPair struct {
	key, value string
}

// preFilterState holds the per-cycle counts Filter reads.
type preFilterState struct {
	pod      *framework.PodInfo
	nsLabels func(ns string) labels.Set
	// existingAnti counts, per topology pair, existing pods' required
	// anti-affinity terms that match the incoming pod.
	existingAnti map[topologyPair]int
	// existingAntiKeys are the distinct keys of existingAnti.
	existingAntiKeys []string
	// Rejection statuses made once per cycle (Filter then allocates
	// nothing on the many nodes anti-affinity may reject).
	rejectExisting, rejectAnti, rejectAffinity *framework.Status
	// affinity counts existing pods matching all the incoming pod's
	// required affinity terms, per term topology pair.
	affinity map[topologyPair]int
	// anti counts existing pods matching each of the incoming pod's
	// required anti-affinity terms, per term topology pair.
	anti map[topologyPair]int
}

// PreFilter counts, over the whole snapshot, the pods the incoming pod's
// required terms select and the existing anti-affinity terms that select
// the incoming pod. It skips when neither exists.
func (p *InterPodAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *v1.Pod, snap *framework.Snapshot) *framework.Status {
	pi := state.PodInfo(pod)
	s := &preFilterState{pod: pi, nsLabels: p.nsLabels,
		rejectExisting: framework.NewStatus(framework.Unschedulable, ReasonExistingAntiAffinityNotMatch).WithPlugin(Name),
		rejectAnti:     framework.NewStatus(framework.Unschedulable, ReasonAntiAffinityRulesNotMatch).WithPlugin(Name),
		rejectAffinity: framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonAffinityRulesNotMatch).WithPlugin(Name)}
	c := p.count(pi, snap.Nodes)
	s.existingAnti, s.affinity, s.anti = c.existingAnti, c.affinity, c.anti
	for tp := range s.existingAnti {
		if !containsString(s.existingAntiKeys, tp.key) {
			s.existingAntiKeys = append(s.existingAntiKeys, tp.key)
		}
	}
	if len(pi.Affinity.RequiredAffinity) == 0 && len(pi.Affinity.RequiredAntiAffinity) == 0 && len(s.existingAnti) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(preFilterKey, s)
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func matchesAll(terms []framework.AffinityTerm, pod *v1.Pod, nsLabels func(ns string) labels.Set) bool {
	for i := range terms {
		if !terms[i].Matches(pod, nsLabels) {
			return false
		}
	}
	return true
}

// Filter checks, in upstream's order, existing pods' anti-affinity, the
// pod's anti-affinity and the pod's affinity against node.
func (p *InterPodAffinity) Filter(_ context.Context, state *framework.CycleState, _ *v1.Pod, node *framework.NodeInfo) *framework.Status {
	v, ok := state.Read(preFilterKey)
	if !ok {
		return framework.AsStatus(errNoState)
	}
	s := v.(*preFilterState)
	nodeLabels := node.Node.Labels
	for _, k := range s.existingAntiKeys {
		if val, ok := nodeLabels[k]; ok && s.existingAnti[topologyPair{k, val}] > 0 {
			return s.rejectExisting
		}
	}
	for _, t := range s.pod.Affinity.RequiredAntiAffinity {
		if val, ok := nodeLabels[t.TopologyKey]; ok && s.anti[topologyPair{t.TopologyKey, val}] > 0 {
			return s.rejectAnti
		}
	}
	if !s.satisfiesAffinity(nodeLabels) {
		return s.rejectAffinity
	}
	return nil
}

// satisfiesAffinity: the node has every term's topology key and a matching
// pod in each of those domains; or no pod anywhere matches and the pod
// matches its own terms (the first pod of a group that wants to be
// together), with the node still having every key.
func (s *preFilterState) satisfiesAffinity(nodeLabels map[string]string) bool {
	terms := s.pod.Affinity.RequiredAffinity
	podsExist := true
	for _, t := range terms {
		val, ok := nodeLabels[t.TopologyKey]
		if !ok {
			return false
		}
		if s.affinity[topologyPair{t.TopologyKey, val}] <= 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	return len(s.affinity) == 0 && matchesAll(terms, s.pod.Pod, s.nsLabels)
}
