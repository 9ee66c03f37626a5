package daemonset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/history"

	"github.com/capstan/capstan/internal/controller/worker"
)

// controllerKind is the kind of the objects this controller owns pods for.
func controllerKind() schema.GroupVersionKind { return appsv1.SchemeGroupVersion.WithKind("DaemonSet") }

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock drives availability (minReadySeconds) and expectations; the
	// real clock when nil.
	Clock clock.WithTicker
	// Recorder emits events; when nil the controller records to the API
	// (core/v1 events, source "daemonset-controller") while it runs.
	Recorder record.EventRecorder
}

// Controller is the DaemonSet controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	clock       clock.WithTicker
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	dsLister    appslisters.DaemonSetLister
	podLister   corelisters.PodLister
	nodeLister  corelisters.NodeLister
	history     history.Client
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	expect      *expectations
	// failedBackoff spaces out replacing a node's failed daemon pods.
	failedBackoff *flowcontrol.Backoff
}

// New builds a DaemonSet controller and registers its informer handlers on
// DaemonSets, Pods, Nodes and ControllerRevisions of o.Informers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Informers == nil || o.Log == nil {
		return nil, errors.New("daemonset controller: Log, Client and Informers are required")
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	ds := o.Informers.Apps().V1().DaemonSets()
	pods := o.Informers.Core().V1().Pods()
	nodes := o.Informers.Core().V1().Nodes()
	revs := o.Informers.Apps().V1().ControllerRevisions()
	c := &Controller{
		log: o.Log, client: o.Client, clock: clk, recorder: o.Recorder,
		dsLister: ds.Lister(), podLister: pods.Lister(), nodeLister: nodes.Lister(),
		history: history.Client{API: o.Client, Lister: revs.Lister()},
		synced:  []cache.InformerSynced{ds.Informer().HasSynced, pods.Informer().HasSynced, nodes.Informer().HasSynced, revs.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "daemonset", Clock: clk}),
		expect:        newExpectations(clk),
		failedBackoff: flowcontrol.NewFakeBackOff(time.Second, 15*time.Minute, clk),
	}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "daemonset-controller")
	handlers := []struct {
		what string
		inf  cache.SharedIndexInformer
		h    cache.ResourceEventHandler
	}{
		{"daemonsets", ds.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: func(_, n any) { c.enqueue(n) }, DeleteFunc: c.dsDeleted}},
		{"pods", pods.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.podAdded, UpdateFunc: c.podUpdated, DeleteFunc: c.podDeleted}},
		{"nodes", nodes.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { c.enqueueAll() }, UpdateFunc: c.nodeUpdated, DeleteFunc: func(any) { c.enqueueAll() }}},
		{"controllerrevisions", revs.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueueOwner, DeleteFunc: c.enqueueOwner}},
	}
	for _, h := range handlers {
		if _, err := h.inf.AddEventHandler(h.h); err != nil {
			return nil, fmt.Errorf("watch %s: %w", h.what, err)
		}
	}
	return c, nil
}

// Run syncs DaemonSets with workers goroutines until ctx ends. The
// informer factory must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer worker.Record(c.client, c.broadcaster)()
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueAll() {
	all, err := c.dsLister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		c.enqueue(ds)
	}
}

func (c *Controller) dsDeleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.expect.Forget(key)
	}
}

// owner returns the key of the DaemonSet controlling obj, if one exists.
func (c *Controller) owner(obj metav1.Object) (string, bool) {
	ref := metav1.GetControllerOfNoCopy(obj)
	if ref == nil || ref.Kind != controllerKind().Kind || ref.APIVersion != controllerKind().GroupVersion().String() {
		return "", false
	}
	ds, err := c.dsLister.DaemonSets(obj.GetNamespace()).Get(ref.Name)
	if err != nil || ds.UID != ref.UID {
		return "", false
	}
	return obj.GetNamespace() + "/" + ref.Name, true
}

func (c *Controller) enqueueOwner(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if m, err := meta(obj); err == nil {
		if key, ok := c.owner(m); ok {
			c.queue.Add(key)
		}
	}
}

// enqueueSelecting queues every DaemonSet whose selector matches an orphan
// pod, so one of them may adopt it.
func (c *Controller) enqueueSelecting(pod *corev1.Pod) {
	all, err := c.dsLister.DaemonSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			c.enqueue(ds)
		}
	}
}

func (c *Controller) podAdded(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key, owned := c.owner(pod)
	switch {
	case owned && pod.DeletionTimestamp != nil:
		c.expect.Deleted(key, pod.UID)
		c.queue.Add(key)
	case owned:
		c.expect.Created(key)
		c.queue.Add(key)
	default:
		c.enqueueSelecting(pod)
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*corev1.Pod)
	pod, ok2 := newObj.(*corev1.Pod)
	if !ok1 || !ok2 || old.ResourceVersion == pod.ResourceVersion {
		return
	}
	if oldKey, ok := c.owner(old); ok {
		c.queue.Add(oldKey)
	}
	key, owned := c.owner(pod)
	if owned && pod.DeletionTimestamp != nil {
		c.expect.Deleted(key, pod.UID)
	}
	if owned {
		c.queue.Add(key)
		return
	}
	if !equality.Semantic.DeepEqual(old.Labels, pod.Labels) || metav1.GetControllerOfNoCopy(old) != nil {
		c.enqueueSelecting(pod)
	}
}

func (c *Controller) podDeleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if key, owned := c.owner(pod); owned {
		c.expect.Deleted(key, pod.UID)
		c.queue.Add(key)
	}
}

// nodeUpdated resyncs every DaemonSet when something eligibility depends on
// changed (labels, taints, name-bound fields), not on status heartbeats.
func (c *Controller) nodeUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*corev1.Node)
	n, ok2 := newObj.(*corev1.Node)
	if !ok1 || !ok2 {
		return
	}
	if equality.Semantic.DeepEqual(old.Labels, n.Labels) && equality.Semantic.DeepEqual(old.Spec.Taints, n.Spec.Taints) &&
		old.Spec.Unschedulable == n.Spec.Unschedulable && readyOf(old) == readyOf(n) {
		return
	}
	c.enqueueAll()
}

func readyOf(n *corev1.Node) corev1.ConditionStatus {
	i := slices.IndexFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool { return c.Type == corev1.NodeReady })
	if i < 0 {
		return corev1.ConditionUnknown
	}
	return n.Status.Conditions[i].Status
}

func meta(obj any) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("object %T has no metadata", obj)
	}
	return m, nil
}

// requeueAfter schedules a resync of key, used while pods wait out
// minReadySeconds.
func (c *Controller) requeueAfter(key string, d time.Duration) { c.queue.AddAfter(key, d) }
