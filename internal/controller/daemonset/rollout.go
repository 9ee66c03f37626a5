package daemonset

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// budgets returns maxSurge and maxUnavailable of a RollingUpdate DaemonSet
// scaled against desired nodes (percentages round up); when both are 0,
// maxUnavailable is 1, as upstream.
func budgets(ru *appsv1.RollingUpdateDaemonSet, desired int) (surge, unavailable int, err error) {
	one := intstr.FromInt32(1)
	zero := intstr.FromInt32(0)
	mu, ms := &one, &zero
	if ru != nil {
		if ru.MaxUnavailable != nil {
			mu = ru.MaxUnavailable
		}
		if ru.MaxSurge != nil {
			ms = ru.MaxSurge
		}
	}
	surge, err = intstr.GetScaledValueFromIntOrPercent(ms, desired, true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	unavailable, err = intstr.GetScaledValueFromIntOrPercent(mu, desired, true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable, nil
}

// split returns the (single) updated and old live pods on a node; ok is
// false when there is more than one of either (manage fixes that first).
func split(pods []*corev1.Pod, hash string) (newPod, oldPod *corev1.Pod, ok bool) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if p.Labels[revisionLabel] == hash {
			if newPod != nil {
				return nil, nil, false
			}
			newPod = p
		} else {
			if oldPod != nil {
				return nil, nil, false
			}
			oldPod = p
		}
	}
	return newPod, oldPod, true
}

// rollout is one step of a rolling update over the eligible nodes.
type rollout struct {
	Hash           string
	MaxSurge       int
	MaxUnavailable int
	MinReady       time.Duration
	Now            time.Time
}

// Step decides which old pods to delete and, with surge, on which nodes to
// create an updated pod next to the old one.
func (r rollout) Step(vs []nodeView) plan {
	if r.MaxSurge > 0 {
		return r.surgeStep(vs)
	}
	var p plan
	var candidates []*corev1.Pod
	unavailable := 0
	for _, v := range vs {
		if !v.Fit.ShouldRun || len(v.Pods) == 0 {
			continue
		}
		newPod, oldPod, ok := split(v.Pods, r.Hash)
		switch {
		case !ok, newPod == nil && oldPod == nil, newPod != nil && oldPod != nil:
			unavailable++
		case newPod != nil:
			if !podAvailable(newPod, r.MinReady, r.Now) {
				unavailable++
			}
		case !podAvailable(oldPod, r.MinReady, r.Now):
			// an unavailable old pod is replaced at once, outside the budget.
			p.Delete = append(p.Delete, oldPod)
		default:
			candidates = append(candidates, oldPod)
		}
	}
	room := min(max(r.MaxUnavailable-unavailable, 0), len(candidates))
	p.Delete = append(p.Delete, candidates[:room]...)
	return p
}

// surgeStep: create an updated pod beside each old one while under
// maxSurge (beside an unavailable old pod at once), and delete an old pod
// once its node's updated pod is available.
func (r rollout) surgeStep(vs []nodeView) plan {
	var p plan
	var candidates []string
	surging := 0
	for _, v := range vs {
		if !v.Fit.ShouldRun || len(v.Pods) == 0 {
			continue
		}
		newPod, oldPod, ok := split(v.Pods, r.Hash)
		switch {
		case !ok:
			surging++
		case oldPod == nil:
		case newPod == nil && !podAvailable(oldPod, r.MinReady, r.Now):
			p.Create = append(p.Create, v.Node.Name)
		case newPod == nil:
			candidates = append(candidates, v.Node.Name)
		case podAvailable(newPod, r.MinReady, r.Now):
			p.Delete = append(p.Delete, oldPod)
		default:
			surging++
		}
	}
	room := min(max(r.MaxSurge-surging, 0), len(candidates))
	p.Create = append(p.Create, candidates[:room]...)
	return p
}
