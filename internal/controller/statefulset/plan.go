package statefulset

import (
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Op is the kind of one step of a plan.
type Op string

// The steps a sync can take.
const (
	OpCreate   Op = "create"   // create pod Ordinal (and its claims) at Revision
	OpDelete   Op = "delete"   // delete Pod (ScaleDown: it is condemned)
	OpRecreate Op = "recreate" // delete failed Pod; it is recreated once gone
	OpRelabel  Op = "relabel"  // repair the identity labels of Pod
)

// Step is one action of a plan.
type Step struct {
	Op      Op
	Ordinal int
	// Revision is the revision name a created pod gets.
	Revision string
	// Pod is the pod acted on (nil for OpCreate).
	Pod *corev1.Pod
	// ScaleDown marks a delete of a pod outside the wanted ordinals.
	ScaleDown bool
}

// Snapshot is what a plan is computed from.
type Snapshot struct {
	Set *appsv1.StatefulSet
	// Pods are the pods the set controls; the plan does not modify them.
	Pods []*corev1.Pod
	// CurrentRevision and UpdateRevision are revision names.
	CurrentRevision string
	UpdateRevision  string
	Now             time.Time
}

func (s Snapshot) minReady() time.Duration {
	return time.Duration(s.Set.Spec.MinReadySeconds) * time.Second
}

// split places the pods by ordinal: wanted holds the pod of each wanted
// ordinal (nil when missing), condemned the rest, highest ordinal first.
func (s Snapshot) split() (wanted []*corev1.Pod, condemned []*corev1.Pod) {
	start, n := startOrdinal(s.Set), replicasOf(s.Set)
	wanted = make([]*corev1.Pod, n)
	ords := make(map[*corev1.Pod]int)
	for _, p := range s.Pods {
		ord, ok := ordinalOf(s.Set, p)
		switch {
		case !ok:
		case ord >= start && ord < start+n:
			wanted[ord-start] = p
		default:
			ords[p] = ord
			condemned = append(condemned, p)
		}
	}
	slices.SortFunc(condemned, func(a, b *corev1.Pod) int { return ords[b] - ords[a] })
	return wanted, condemned
}

// revisionFor is the revision a new pod at index i (0-based from the start
// ordinal) gets: below the partition of a RollingUpdate, the current one.
func (s Snapshot) revisionFor(i int) string {
	st := s.Set.Spec.UpdateStrategy
	if st.Type != appsv1.OnDeleteStatefulSetStrategyType && st.RollingUpdate != nil &&
		st.RollingUpdate.Partition != nil && i < int(*st.RollingUpdate.Partition) {
		return s.CurrentRevision
	}
	return s.UpdateRevision
}

// Plan decides the next steps for a StatefulSet. With OrderedReady it
// returns at most one pod-changing step and stops at the first pod that is
// missing, terminating or not yet Running, Ready and available; with
// Parallel it acts on every pod at once. Scale-down (highest ordinal
// first) follows scale-up, and rolling update (highest ordinal first, down
// to the partition, within maxUnavailable) follows scale-down.
func Plan(s Snapshot) []Step {
	monotonic := s.Set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	wanted, condemned := s.split()
	start := startOrdinal(s.Set)
	var steps []Step
	for i, pod := range wanted {
		ord := start + i
		switch {
		case pod == nil:
			steps = append(steps, Step{Op: OpCreate, Ordinal: ord, Revision: s.revisionFor(i)})
		case isFailed(pod) && pod.DeletionTimestamp == nil:
			steps = append(steps, Step{Op: OpRecreate, Ordinal: ord, Pod: pod})
		case pod.DeletionTimestamp != nil, isFailed(pod):
			// wait for the old pod to go before creating its replacement.
		case !available(pod, s.minReady(), s.Now):
			if !labelsMatch(pod, ord) {
				steps = append(steps, Step{Op: OpRelabel, Ordinal: ord, Pod: pod})
			}
		default:
			if !labelsMatch(pod, ord) {
				steps = append(steps, Step{Op: OpRelabel, Ordinal: ord, Pod: pod})
			}
			continue
		}
		if monotonic {
			return steps
		}
	}
	for _, pod := range condemned {
		ord, _ := ordinalOf(s.Set, pod)
		if pod.DeletionTimestamp == nil {
			steps = append(steps, Step{Op: OpDelete, Ordinal: ord, Pod: pod, ScaleDown: true})
		}
		if monotonic {
			return steps
		}
	}
	return append(steps, s.rollingUpdate(wanted)...)
}

// rollingUpdate deletes out-of-date pods from the highest ordinal down to
// the partition while fewer than maxUnavailable wanted pods are
// unavailable; deleted pods are recreated at the update revision.
func (s Snapshot) rollingUpdate(wanted []*corev1.Pod) []Step {
	st := s.Set.Spec.UpdateStrategy
	if st.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return nil
	}
	partition, budget := 0, 1
	if ru := st.RollingUpdate; ru != nil {
		if ru.Partition != nil {
			partition = int(*ru.Partition)
		}
		if ru.MaxUnavailable != nil {
			v, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, len(wanted), true)
			if err == nil {
				budget = max(v, 1)
			}
		}
	}
	unavailable := 0
	for _, pod := range wanted {
		if pod == nil || !available(pod, s.minReady(), s.Now) {
			unavailable++
		}
	}
	var steps []Step
	start := startOrdinal(s.Set)
	for i := len(wanted) - 1; i >= partition; i-- {
		pod := wanted[i]
		if pod == nil || pod.DeletionTimestamp != nil || pod.Labels[revisionLabel] == s.UpdateRevision {
			continue
		}
		if unavailable >= budget {
			break
		}
		steps = append(steps, Step{Op: OpDelete, Ordinal: start + i, Pod: pod})
		if available(pod, s.minReady(), s.Now) {
			unavailable++
		}
	}
	return steps
}

func isFailed(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded
}

func runningAndReady(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// available: running, Ready for at least minReady, not terminating.
func available(pod *corev1.Pod, minReady time.Duration, now time.Time) bool {
	if pod.DeletionTimestamp != nil || !runningAndReady(pod) {
		return false
	}
	if minReady <= 0 {
		return true
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return !c.LastTransitionTime.Add(minReady).After(now)
		}
	}
	return false
}

// Status computes the counters and revisions of the status from the
// snapshot; ObservedGeneration and CollisionCount are left to the caller.
// A finished RollingUpdate (every pod updated and ready) makes the update
// revision current.
func Status(s Snapshot) appsv1.StatefulSetStatus {
	st := appsv1.StatefulSetStatus{CurrentRevision: s.CurrentRevision, UpdateRevision: s.UpdateRevision}
	for _, pod := range s.Pods {
		if _, ok := ordinalOf(s.Set, pod); !ok {
			continue
		}
		st.Replicas++
		if runningAndReady(pod) {
			st.ReadyReplicas++
			if available(pod, s.minReady(), s.Now) {
				st.AvailableReplicas++
			}
		}
		if pod.DeletionTimestamp != nil {
			continue
		}
		if pod.Labels[revisionLabel] == s.CurrentRevision {
			st.CurrentReplicas++
		}
		if pod.Labels[revisionLabel] == s.UpdateRevision {
			st.UpdatedReplicas++
		}
	}
	if s.Set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentRevision = s.UpdateRevision
		st.CurrentReplicas = st.UpdatedReplicas
	}
	return st
}
