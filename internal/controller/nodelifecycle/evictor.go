package nodelifecycle

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Pod condition written before a taint-based eviction, as upstream.
const (
	reasonDeletionByTaintManager  = "DeletionByTaintManager"
	messageDeletionByTaintManager = "Taint manager: deleting due to NoExecute taint"
)

// evictor is the taint manager: it deletes pods from NoExecute-tainted
// nodes. Pods tolerating the taints for a while wait in the timed queue.
type evictor struct {
	c     *Controller
	queue workqueue.TypedRateLimitingInterface[string] // pod keys; AddAfter is the timer

	mu      sync.Mutex
	since   map[string]time.Time // pod key → when its eviction was first scheduled
	evicted map[string]types.UID // pod key → UID deleted, until the pod is gone
}

func (e *evictor) podHandler() cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok && pod.Spec.NodeName != "" {
			e.queue.Add(podKey(pod))
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				e.forget(podKey(pod))
				e.mu.Lock()
				delete(e.evicted, podKey(pod))
				e.mu.Unlock()
			}
		},
	}
}

func (e *evictor) nodeHandler() cache.ResourceEventHandler {
	enqueuePods := func(node *corev1.Node) {
		for _, pod := range e.c.podsOnNode(node.Name) {
			e.queue.Add(podKey(pod))
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if node, ok := obj.(*corev1.Node); ok {
				enqueuePods(node)
			}
		},
		UpdateFunc: func(oldObj, obj any) {
			old, ok1 := oldObj.(*corev1.Node)
			node, ok2 := obj.(*corev1.Node)
			if ok1 && ok2 && !equality.Semantic.DeepEqual(noExecute(old.Spec.Taints), noExecute(node.Spec.Taints)) {
				enqueuePods(node)
			}
		},
	}
}

func noExecute(taints []corev1.Taint) []corev1.Taint {
	return slices.DeleteFunc(slices.Clone(taints), func(t corev1.Taint) bool { return t.Effect != corev1.TaintEffectNoExecute })
}

func podKey(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

func (e *evictor) forget(key string) {
	e.mu.Lock()
	delete(e.since, key)
	e.mu.Unlock()
}

// scheduled reports when key's eviction was first scheduled.
func (e *evictor) scheduled(key string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.since[key]
	return t, ok
}

func (e *evictor) work(ctx context.Context) {
	worker.Process(ctx, e.queue, e.c.log, e.sync)
}

// sync decides one pod against its node's taints and evicts it when due.
func (e *evictor) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := e.c.pods.Pods(ns).Get(name)
	if err != nil || pod.DeletionTimestamp != nil || pod.Spec.NodeName == "" || e.wasEvicted(key, pod.UID) {
		e.forget(key)
		return nil
	}
	node, err := e.c.nodes.Get(pod.Spec.NodeName)
	if err != nil {
		e.forget(key)
		return nil
	}
	d := EvictionFor(node.Spec.Taints, pod.Spec.Tolerations)
	now := e.c.clock.Now()
	if !d.Evict {
		if _, was := e.scheduled(key); was {
			e.c.taintEvent.Eventf(pod, corev1.EventTypeNormal, reasonTaintManagerEviction, msgCancellingDeletion, key)
			e.forget(key)
		}
		return nil
	}
	e.mu.Lock()
	start, ok := e.since[key]
	if !ok {
		start = now
		e.since[key] = now
	}
	e.mu.Unlock()
	if due := start.Add(d.After); now.Before(due) {
		e.queue.AddAfter(key, due.Sub(now))
		return nil
	}
	return e.evict(ctx, pod, now)
}

// evict marks pod with the DisruptionTarget condition and deletes it.
func (e *evictor) evict(ctx context.Context, pod *corev1.Pod, now time.Time) error {
	key := podKey(pod)
	e.c.taintEvent.Eventf(pod, corev1.EventTypeNormal, reasonTaintManagerEviction, msgMarkingForDeletion, key)
	if !hasDisruptionTarget(pod) {
		next := pod.DeepCopy()
		next.Status.Conditions = append(slices.DeleteFunc(next.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.DisruptionTarget
		}), corev1.PodCondition{
			Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now),
			Reason: reasonDeletionByTaintManager, Message: messageDeletionByTaintManager,
		})
		if _, err := e.c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				e.forget(key)
				return nil
			}
			return fmt.Errorf("mark pod %s disruption target: %w", key, err)
		}
	}
	uid := pod.UID
	err := e.c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s: %w", key, err)
	}
	e.c.log.Info("evicted pod from tainted node", "pod", key, "node", pod.Spec.NodeName)
	e.mu.Lock()
	delete(e.since, key)
	e.evicted[key] = uid
	e.mu.Unlock()
	return nil
}

// wasEvicted reports whether this incarnation of the pod was deleted
// already and only the cache lags behind.
func (e *evictor) wasEvicted(key string, uid types.UID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.evicted[key] == uid
}

func hasDisruptionTarget(pod *corev1.Pod) bool {
	return slices.ContainsFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue
	})
}
