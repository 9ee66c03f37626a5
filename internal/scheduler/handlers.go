package scheduler

import (
	"fmt"
	"maps"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/scheduler/plugins/interpodaffinity"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodeports"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
	"github.com/capstan/capstan/internal/scheduler/plugins/podtopologyspread"
	"github.com/capstan/capstan/internal/scheduler/queue"
)

// addHandlers routes informer events and returns their HasSynced
// functions (true once a handler has seen its informer's initial list):
// unassigned pods of this scheduler to
// the queue, assigned pods and nodes to the cache, and the events that can
// make a waiting pod fit to the queue's unschedulable set.
func (s *Scheduler) addHandlers() ([]cache.InformerSynced, error) {
	podReg, err := s.informers.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.onPod(nil, asPod(obj)) },
		UpdateFunc: func(old, obj any) { s.onPod(asPod(old), asPod(obj)) },
		DeleteFunc: func(obj any) { s.onPodDelete(asPod(obj)) },
	})
	if err != nil {
		return nil, fmt.Errorf("add pod handler: %w", err)
	}
	nodeReg, err := s.informers.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.onNode(nil, asNode(obj)) },
		UpdateFunc: func(old, obj any) { s.onNode(asNode(old), asNode(obj)) },
		DeleteFunc: func(obj any) {
			if n := asNode(obj); n != nil {
				s.cache.RemoveNode(n.Name)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("add node handler: %w", err)
	}
	return []cache.InformerSynced{podReg.HasSynced, nodeReg.HasSynced}, nil
}

func asPod(obj any) *v1.Pod {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	p, _ := obj.(*v1.Pod)
	return p
}

func asNode(obj any) *v1.Node {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	n, _ := obj.(*v1.Node)
	return n
}

func terminal(pod *v1.Pod) bool {
	return pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed
}

// onPod handles a pod add (old nil) or update.
func (s *Scheduler) onPod(old, pod *v1.Pod) {
	if pod == nil {
		return
	}
	if pod.Spec.NodeName != "" {
		if old != nil && old.Spec.NodeName == "" {
			s.queue.Delete(pod)
			s.nominator.Remove(pod.UID)
		}
		if terminal(pod) {
			s.cache.RemovePod(pod)
			s.queue.MoveUnschedulable(freedResources)
			return
		}
		s.cache.AddPod(pod)
		if old == nil || old.Spec.NodeName == "" {
			s.queue.MoveUnschedulable(wantsPods)
		}
		return
	}
	// Gated pods wait outside the queue until their gates are removed
	// (upstream's SchedulingGates PreEnqueue); deleting pods are not placed.
	if s.profiles[pod.Spec.SchedulerName] == nil || terminal(pod) || len(pod.Spec.SchedulingGates) > 0 || pod.DeletionTimestamp != nil {
		s.queue.Delete(pod)
		s.nominator.Remove(pod.UID)
		return
	}
	if s.cache.IsAssumed(pod) {
		return
	}
	if pod.Status.NominatedNodeName != "" {
		s.nominator.Set(pod, pod.Status.NominatedNodeName)
	}
	if old == nil {
		s.queue.Add(pod)
		return
	}
	s.queue.Update(old, pod)
}

// onPodDelete uncounts a bound pod (waking pods that wanted its room) or
// drops a queued one.
func (s *Scheduler) onPodDelete(pod *v1.Pod) {
	if pod == nil {
		return
	}
	s.nominator.Remove(pod.UID)
	if pod.Spec.NodeName != "" {
		s.cache.RemovePod(pod)
		s.queue.MoveUnschedulable(freedResources)
		return
	}
	s.cache.ForgetPod(pod)
	s.queue.Delete(pod)
}

// freedResources matches pods a leaving pod could help: those rejected for
// resources or ports somewhere.
func freedResources(p *queue.QueuedPod) bool {
	return p.UnschedulablePlugins == nil || p.UnschedulablePlugins[noderesources.FitName] || p.UnschedulablePlugins[nodeports.Name] ||
		wantsPods(p)
}

// wantsPods matches pods a pod arriving or leaving could help: those
// rejected by pod affinity or topology spread.
func wantsPods(p *queue.QueuedPod) bool {
	return p.UnschedulablePlugins[interpodaffinity.Name] || p.UnschedulablePlugins[podtopologyspread.Name]
}

// onNode records a node and, when it came or changed in a way that could
// make a pod fit, wakes every unschedulable pod.
func (s *Scheduler) onNode(old, node *v1.Node) {
	if node == nil {
		return
	}
	s.cache.SetNode(node)
	if old == nil || nodeChangeMatters(old, node) {
		s.queue.MoveUnschedulable(nil)
	}
}

// nodeChangeMatters reports whether an update touched what the filters read.
func nodeChangeMatters(old, node *v1.Node) bool {
	return old.Spec.Unschedulable != node.Spec.Unschedulable ||
		!maps.Equal(old.Labels, node.Labels) ||
		!slices.EqualFunc(old.Spec.Taints, node.Spec.Taints, func(a, b v1.Taint) bool { return a.MatchTaint(&b) && a.Value == b.Value }) ||
		!equality.Semantic.DeepEqual(old.Status.Allocatable, node.Status.Allocatable) ||
		!equality.Semantic.DeepEqual(old.Status.Images, node.Status.Images)
}
