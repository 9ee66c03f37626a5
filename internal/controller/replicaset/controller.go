package replicaset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/worker"
)

// BurstReplicas is the most pods one sync creates or deletes (upstream 500).
const BurstReplicas = 500

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock times availability and expectations; the real clock when nil.
	Clock clock.WithTicker
	// Recorder records events; when nil the controller records to the
	// core/v1 events API itself while Run runs.
	Recorder record.EventRecorder
	// BurstReplicas caps creations/deletions per sync; BurstReplicas when 0.
	BurstReplicas int
}

// Controller is the ReplicaSet (or ReplicationController) controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	w           workload
	pods        corelisters.PodLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	exp         *Expectations
	clock       clock.WithTicker
	rec         record.EventRecorder
	broadcaster record.EventBroadcaster
	burst       int
}

// New builds the ReplicaSet controller and registers its informer handlers
// on o.Informers (ReplicaSets and Pods); the caller starts the factory.
func New(o Options) (*Controller, error) {
	inf := o.Informers.Apps().V1().ReplicaSets()
	return build(o, replicaSets{client: o.Client, inf: inf, lister: inf.Lister()}, "replicaset-controller")
}

// NewForReplicationControllers builds the ReplicationController controller:
// the same logic over core/v1 ReplicationControllers.
func NewForReplicationControllers(o Options) (*Controller, error) {
	inf := o.Informers.Core().V1().ReplicationControllers()
	return build(o, replicationControllers{client: o.Client, inf: inf, lister: inf.Lister()}, "replication-controller")
}

func build(o Options, w workload, component string) (*Controller, error) {
	c := &Controller{log: o.Log, client: o.Client, w: w, clock: o.Clock, rec: o.Recorder, burst: o.BurstReplicas}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.burst <= 0 {
		c.burst = BurstReplicas
	}
	c.rec, c.broadcaster = worker.Recorder(c.rec, component)
	c.exp = NewExpectations(c.clock)
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: component, Clock: c.clock})
	podInf := o.Informers.Core().V1().Pods()
	c.pods = podInf.Lister()
	c.synced = []cache.InformerSynced{w.informer().HasSynced, podInf.Informer().HasSynced}
	if _, err := w.informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueObj,
		UpdateFunc: func(_, obj any) { c.enqueueObj(obj) },
		DeleteFunc: c.deleteSet,
	}); err != nil {
		return nil, fmt.Errorf("watch %s: %w", w.gvk().Kind, err)
	}
	if _, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
	}); err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	return c, nil
}

// Run syncs with workers goroutines until ctx ends. The informer factory
// must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer worker.Record(c.client, c.broadcaster)()
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

func keyOf(m metav1.Object) string { return m.GetNamespace() + "/" + m.GetName() }

func (c *Controller) enqueueObj(obj any) {
	if rs, ok := c.w.view(obj); ok {
		c.queue.Add(keyOf(rs))
	}
}

func (c *Controller) deleteSet(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if rs, ok := c.w.view(obj); ok {
		c.exp.Forget(keyOf(rs))
		c.queue.Add(keyOf(rs))
	}
}

// ownerOf resolves the pod's controller reference to a cached set of the
// managed kind with the same UID, or nil.
func (c *Controller) ownerOf(pod *corev1.Pod, ref *metav1.OwnerReference) *appsv1.ReplicaSet {
	if ref == nil {
		return nil
	}
	gvk := c.w.gvk()
	if ref.Kind != gvk.Kind || schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).Group != gvk.Group {
		return nil
	}
	rs, err := c.w.get(pod.Namespace, ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// enqueueMatching enqueues every set whose selector matches the orphan pod.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	sets, err := c.w.list(pod.Namespace)
	if err != nil {
		return
	}
	for _, rs := range sets {
		sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
		if err != nil || sel.Empty() {
			continue
		}
		if sel.Matches(labels.Set(pod.Labels)) {
			c.queue.Add(keyOf(rs))
		}
	}
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(pod)
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if rs := c.ownerOf(pod, ref); rs != nil {
		c.exp.CreationObserved(keyOf(rs))
		c.queue.Add(keyOf(rs))
		return
	}
	if ref == nil {
		c.enqueueMatching(pod)
	}
}

func (c *Controller) updatePod(oldObj, curObj any) {
	old, cur := oldObj.(*corev1.Pod), curObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	oldRef, curRef := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(cur)
	if oldRS := c.ownerOf(old, oldRef); oldRS != nil && (curRef == nil || curRef.UID != oldRef.UID) {
		c.queue.Add(keyOf(oldRS))
	}
	if cur.DeletionTimestamp != nil {
		c.deletePod(cur)
		return
	}
	if rs := c.ownerOf(cur, curRef); rs != nil {
		c.queue.Add(keyOf(rs))
		if !IsPodReady(old) && IsPodReady(cur) && rs.Spec.MinReadySeconds > 0 {
			c.queue.AddAfter(keyOf(rs), time.Duration(rs.Spec.MinReadySeconds)*time.Second+time.Second)
		}
		return
	}
	if curRef == nil {
		c.enqueueMatching(cur)
	}
}

func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if rs := c.ownerOf(pod, metav1.GetControllerOfNoCopy(pod)); rs != nil {
		c.exp.DeletionObserved(keyOf(rs), keyOf(pod))
		c.queue.Add(keyOf(rs))
	}
}

// sync converges one set: claim pods, create or delete the difference when
// earlier expectations are met, and write the status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	rs, err := c.w.get(ns, name)
	if apierrors.IsNotFound(err) {
		c.exp.Forget(key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil || sel.Empty() {
		c.log.Info("invalid selector, not syncing", "key", key, "err", err)
		return nil
	}
	needsSync := c.exp.Satisfied(key) && rs.DeletionTimestamp == nil
	all, err := c.pods.Pods(ns).List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list pods of %s: %w", key, err)
	}
	var active []*corev1.Pod
	terminating := 0
	for _, p := range all {
		switch {
		case IsPodActive(p):
			active = append(active, p)
		case IsPodTerminating(p):
			if ref := metav1.GetControllerOfNoCopy(p); ref != nil && ref.UID == rs.UID {
				terminating++
			}
		}
	}
	owned, err := c.claim(ctx, rs, sel, active)
	if err != nil {
		return err
	}
	var manageErr error
	if needsSync {
		manageErr = c.manage(ctx, key, rs, owned)
	}
	st := CalculateStatus(rs, owned, terminating, manageErr, c.clock.Now())
	c.w.normalize(&st)
	updated, err := c.writeStatus(ctx, rs, st)
	if err != nil {
		return errors.Join(manageErr, err)
	}
	if manageErr == nil && updated.Spec.MinReadySeconds > 0 &&
		updated.Status.ReadyReplicas == replicasOf(updated) && updated.Status.AvailableReplicas != replicasOf(updated) {
		c.queue.AddAfter(key, time.Duration(updated.Spec.MinReadySeconds)*time.Second)
	}
	return manageErr
}
