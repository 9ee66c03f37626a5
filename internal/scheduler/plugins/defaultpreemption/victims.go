package defaultpreemption

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// candidate is a node with the victims whose removal lets the pod fit,
// most important first.
type candidate struct {
	node          string
	victims       []*framework.PodInfo
	pdbViolations int
}

// startTime is status.startTime, else the creation time.
func startTime(p *v1.Pod) time.Time {
	if p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return p.CreationTimestamp.Time
}

// moreImportant orders by higher priority, then earlier start (upstream
// MoreImportantPod), then name for determinism.
func moreImportant(a, b *framework.PodInfo) int {
	pa, pb := framework.PodPriority(a.Pod), framework.PodPriority(b.Pod)
	if pa != pb {
		if pa > pb {
			return -1
		}
		return 1
	}
	if c := startTime(a.Pod).Compare(startTime(b.Pod)); c != 0 {
		return c
	}
	if a.Pod.Namespace != b.Pod.Namespace {
		if a.Pod.Namespace < b.Pod.Namespace {
			return -1
		}
		return 1
	}
	if a.Pod.Name < b.Pod.Name {
		return -1
	} else if a.Pod.Name > b.Pod.Name {
		return 1
	}
	return 0
}

// selectVictims removes every lower-priority pod from a copy of node and
// of the cycle state (PreFilterExtensions RemovePod, so affinity and
// spread counts drop with them); if pod then fits, it adds them back one
// by one, most important first and PDB-violating ones before the others,
// keeping each that still lets pod fit. The rest are the victims.
func selectVictims(ctx context.Context, state *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo, pdbs []*policyv1.PodDisruptionBudget) (candidate, bool, error) {
	if node == nil || state == nil {
		return candidate{}, false, nil
	}
	prio := framework.PodPriority(pod)
	ni := node.Clone()
	st := state.Clone()
	var potential []*framework.PodInfo
	for _, pi := range node.Pods {
		if framework.PodPriority(pi.Pod) < prio {
			potential = append(potential, pi)
			ni.RemovePod(string(pi.Pod.UID))
			if s := st.RemovePod(ctx, pod, pi, ni); !s.IsSuccess() {
				return candidate{}, false, fmt.Errorf("remove pod %s/%s: %w", pi.Pod.Namespace, pi.Pod.Name, statusError(s))
			}
		}
	}
	if len(potential) == 0 || !st.RunFilters(ctx, pod, ni).IsSuccess() {
		return candidate{}, false, nil
	}
	slices.SortFunc(potential, moreImportant)
	violating, other := splitByPDB(potential, pdbs)
	c := candidate{node: node.Name()}
	reprieve := func(pi *framework.PodInfo, violates bool) error {
		ni.AddPod(pi)
		if s := st.AddPod(ctx, pod, pi, ni); !s.IsSuccess() {
			return fmt.Errorf("add pod %s/%s: %w", pi.Pod.Namespace, pi.Pod.Name, statusError(s))
		}
		if st.RunFilters(ctx, pod, ni).IsSuccess() {
			return nil
		}
		ni.RemovePod(string(pi.Pod.UID))
		if s := st.RemovePod(ctx, pod, pi, ni); !s.IsSuccess() {
			return fmt.Errorf("remove pod %s/%s: %w", pi.Pod.Namespace, pi.Pod.Name, statusError(s))
		}
		c.victims = append(c.victims, pi)
		if violates {
			c.pdbViolations++
		}
		return nil
	}
	for _, pi := range violating {
		if err := reprieve(pi, true); err != nil {
			return candidate{}, false, err
		}
	}
	for _, pi := range other {
		if err := reprieve(pi, false); err != nil {
			return candidate{}, false, err
		}
	}
	slices.SortFunc(c.victims, moreImportant)
	return c, true, nil
}

// statusError is the fault of an Error status, else its message as an
// error.
func statusError(s *framework.Status) error {
	if err := s.AsError(); err != nil {
		return err
	}
	return errors.New(s.Message())
}

// splitByPDB splits pods (in order) into those whose eviction would take a
// matching budget below zero disruptions allowed and the others. Pods the
// budget already lists as disrupted do not count again.
func splitByPDB(pods []*framework.PodInfo, pdbs []*policyv1.PodDisruptionBudget) (violating, other []*framework.PodInfo) {
	allowed := make([]int32, len(pdbs))
	sels := make([]labels.Selector, len(pdbs))
	for i, pdb := range pdbs {
		allowed[i] = pdb.Status.DisruptionsAllowed
		if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil {
			sels[i] = sel
		}
	}
	for _, pi := range pods {
		violates := false
		for i, pdb := range pdbs {
			if pdb.Namespace != pi.Pod.Namespace || sels[i] == nil || sels[i].Empty() || !sels[i].Matches(labels.Set(pi.Pod.Labels)) {
				continue
			}
			if _, done := pdb.Status.DisruptedPods[pi.Pod.Name]; done {
				continue
			}
			allowed[i]--
			if allowed[i] < 0 {
				violates = true
			}
		}
		if violates {
			violating = append(violating, pi)
		} else {
			other = append(other, pi)
		}
	}
	return violating, other
}

// pickCandidate applies upstream's criteria in turn: fewest PDB
// violations, lowest highest-victim priority, smallest sum of priorities,
// fewest victims, latest earliest start among the highest-priority
// victims; then the first (by node name).
func pickCandidate(cands []candidate) candidate {
	for _, c := range cands {
		if len(c.victims) == 0 {
			return c
		}
	}
	criteria := []func(c *candidate) int64{
		func(c *candidate) int64 { return -int64(c.pdbViolations) },
		func(c *candidate) int64 { return -int64(framework.PodPriority(c.victims[0].Pod)) },
		func(c *candidate) int64 {
			var sum int64
			for _, v := range c.victims {
				sum += int64(framework.PodPriority(v.Pod)) + math.MaxInt32 + 1
			}
			return -sum
		},
		func(c *candidate) int64 { return -int64(len(c.victims)) },
		func(c *candidate) int64 { return earliestTopStart(c.victims).UnixNano() },
	}
	for _, score := range criteria {
		if len(cands) == 1 {
			break
		}
		best := int64(math.MinInt64)
		for i := range cands {
			best = max(best, score(&cands[i]))
		}
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return score(&c) < best })
	}
	return cands[0]
}

// earliestTopStart is the earliest start time among the victims of the
// highest priority (victims are sorted most important first).
func earliestTopStart(victims []*framework.PodInfo) time.Time {
	top := framework.PodPriority(victims[0].Pod)
	t := startTime(victims[0].Pod)
	for _, v := range victims[1:] {
		if framework.PodPriority(v.Pod) == top && startTime(v.Pod).Before(t) {
			t = startTime(v.Pod)
		}
	}
	return t
}
