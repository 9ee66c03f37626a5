package daemonset

import (
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// revisionLabel is the pod label carrying the DaemonSet template hash.
const revisionLabel = appsv1.ControllerRevisionHashLabelKey

// templateGenerationLabel is the deprecated label upstream still sets.
const templateGenerationLabel = appsv1.DeprecatedTemplateGeneration

// nodeView is one node as the decisions see it: the fit of the DaemonSet's
// pod there and the DaemonSet's pods targeting it, oldest first.
type nodeView struct {
	Node *corev1.Node
	Fit  Fit
	Pods []*corev1.Pod
}

// plan is what one sync does: create a pod on each node in Create, delete
// each pod in Delete. Failed lists the failed pods among Delete, which get
// a FailedDaemonPod event.
type plan struct {
	Create []string
	Delete []*corev1.Pod
	Failed []*corev1.Pod
}

// views pairs each node with its fit and pods; pods for unknown nodes are
// returned separately. pods is not modified.
func views(nodes []*corev1.Node, spec *corev1.PodSpec, pods []*corev1.Pod) ([]nodeView, []*corev1.Pod) {
	byNode := make(map[string][]*corev1.Pod)
	for _, p := range pods {
		byNode[targetNode(p)] = append(byNode[targetNode(p)], p)
	}
	out := make([]nodeView, 0, len(nodes))
	for _, n := range nodes {
		ps := byNode[n.Name]
		delete(byNode, n.Name)
		slices.SortStableFunc(ps, olderFirst)
		out = append(out, nodeView{Node: n, Fit: Eligible(n, spec), Pods: ps})
	}
	slices.SortFunc(out, func(a, b nodeView) int {
		switch {
		case a.Node.Name < b.Node.Name:
			return -1
		case a.Node.Name > b.Node.Name:
			return 1
		}
		return 0
	})
	var lost []*corev1.Pod
	for _, ps := range byNode {
		lost = append(lost, ps...)
	}
	slices.SortFunc(lost, olderFirst)
	return out, lost
}

func olderFirst(a, b *corev1.Pod) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	switch {
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}

// manage decides creations and deletions that keep exactly one daemon pod
// on each eligible node: create where one should run and none exists,
// delete failed pods, extra pods (with surge, keep the oldest updated and
// the oldest old pod) and pods on nodes they may not continue on. Unbound
// pods aimed at nodes that no longer exist are deleted too.
func manage(vs []nodeView, lost []*corev1.Pod, surge bool, hash string) plan {
	var p plan
	for _, v := range vs {
		switch {
		case v.Fit.ShouldRun && len(v.Pods) == 0:
			p.Create = append(p.Create, v.Node.Name)
		case v.Fit.ShouldContinueRunning:
			var running []*corev1.Pod
			for _, pod := range v.Pods {
				switch {
				case pod.DeletionTimestamp != nil:
				case pod.Status.Phase == corev1.PodFailed:
					p.Delete = append(p.Delete, pod)
					p.Failed = append(p.Failed, pod)
				default:
					running = append(running, pod)
				}
			}
			p.Delete = append(p.Delete, extras(running, surge, hash)...)
		default:
			for _, pod := range v.Pods {
				if pod.DeletionTimestamp == nil {
					p.Delete = append(p.Delete, pod)
				}
			}
		}
	}
	for _, pod := range lost {
		if pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil {
			p.Delete = append(p.Delete, pod)
		}
	}
	return p
}

// extras are the running pods beyond the one (or, with surge, the oldest
// updated plus the oldest old) a node keeps; running is oldest first.
func extras(running []*corev1.Pod, surge bool, hash string) []*corev1.Pod {
	if len(running) <= 1 {
		return nil
	}
	if !surge {
		return running[1:]
	}
	var out []*corev1.Pod
	var keptNew, keptOld bool
	for _, pod := range running {
		updated := pod.Labels[revisionLabel] == hash
		switch {
		case updated && !keptNew:
			keptNew = true
		case !updated && !keptOld:
			keptOld = true
		default:
			out = append(out, pod)
		}
	}
	return out
}

// podAvailable: Ready for at least minReady at now.
func podAvailable(pod *corev1.Pod, minReady time.Duration, now time.Time) bool {
	if pod.DeletionTimestamp != nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue && (minReady <= 0 || !c.LastTransitionTime.Add(minReady).After(now))
		}
	}
	return false
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// status computes the DaemonSet status counters from the node views.
func status(vs []nodeView, hash string, minReady time.Duration, now time.Time) appsv1.DaemonSetStatus {
	var s appsv1.DaemonSetStatus
	for _, v := range vs {
		if !v.Fit.ShouldRun {
			if len(v.Pods) > 0 {
				s.NumberMisscheduled++
			}
			continue
		}
		s.DesiredNumberScheduled++
		if len(v.Pods) == 0 {
			continue
		}
		s.CurrentNumberScheduled++
		pod := representative(v.Pods)
		if podReady(pod) {
			s.NumberReady++
			if podAvailable(pod, minReady, now) {
				s.NumberAvailable++
			}
		}
		if pod.Labels[revisionLabel] == hash {
			s.UpdatedNumberScheduled++
		}
	}
	s.NumberUnavailable = s.DesiredNumberScheduled - s.NumberAvailable
	return s
}

// representative is the pod that speaks for a node in status: a ready
// one if any, then the oldest.
func representative(pods []*corev1.Pod) *corev1.Pod {
	for _, p := range pods {
		if podReady(p) && p.DeletionTimestamp == nil {
			return p
		}
	}
	return pods[0]
}
