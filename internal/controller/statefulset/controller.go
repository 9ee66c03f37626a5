package statefulset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/history"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock drives availability (minReadySeconds); the real clock when nil.
	Clock clock.WithTicker
	// Recorder emits events; when nil the controller records to the API
	// (core/v1 events, source "statefulset-controller") while it runs.
	Recorder record.EventRecorder
}

// Controller is the StatefulSet controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	clock       clock.WithTicker
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	setLister   appslisters.StatefulSetLister
	podLister   corelisters.PodLister
	pvcLister   corelisters.PersistentVolumeClaimLister
	history     history.Client
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
}

// New builds a StatefulSet controller and registers its informer handlers
// on StatefulSets, Pods, PersistentVolumeClaims and ControllerRevisions of
// o.Informers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Informers == nil || o.Log == nil {
		return nil, errors.New("statefulset controller: Log, Client and Informers are required")
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	sets := o.Informers.Apps().V1().StatefulSets()
	pods := o.Informers.Core().V1().Pods()
	pvcs := o.Informers.Core().V1().PersistentVolumeClaims()
	revs := o.Informers.Apps().V1().ControllerRevisions()
	c := &Controller{
		log: o.Log, client: o.Client, clock: clk, recorder: o.Recorder,
		setLister: sets.Lister(), podLister: pods.Lister(), pvcLister: pvcs.Lister(),
		history: history.Client{API: o.Client, Lister: revs.Lister()},
		synced: []cache.InformerSynced{sets.Informer().HasSynced, pods.Informer().HasSynced,
			pvcs.Informer().HasSynced, revs.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "statefulset", Clock: clk}),
	}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "statefulset-controller")
	handlers := []struct {
		what string
		inf  cache.SharedIndexInformer
		h    cache.ResourceEventHandler
	}{
		{"statefulsets", sets.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: func(_, n any) { c.enqueue(n) }}},
		{"pods", pods.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.podChanged, UpdateFunc: c.podUpdated, DeleteFunc: c.podChanged}},
		{"controllerrevisions", revs.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueueOwner, DeleteFunc: c.enqueueOwner}},
		{"persistentvolumeclaims", pvcs.Informer(), cache.ResourceEventHandlerFuncs{}},
	}
	for _, h := range handlers {
		if _, err := h.inf.AddEventHandler(h.h); err != nil {
			return nil, fmt.Errorf("watch %s: %w", h.what, err)
		}
	}
	return c, nil
}

// Run syncs StatefulSets with workers goroutines until ctx ends. The
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

// owner returns the key of the StatefulSet controlling obj, if it exists.
func (c *Controller) owner(obj metav1.Object) (string, bool) {
	ref := metav1.GetControllerOfNoCopy(obj)
	kind := controllerKind()
	if ref == nil || ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
		return "", false
	}
	set, err := c.setLister.StatefulSets(obj.GetNamespace()).Get(ref.Name)
	if err != nil || set.UID != ref.UID {
		return "", false
	}
	return obj.GetNamespace() + "/" + ref.Name, true
}

func (c *Controller) enqueueOwner(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if m, ok := obj.(metav1.Object); ok {
		if key, ok := c.owner(m); ok {
			c.queue.Add(key)
		}
	}
}

// podChanged queues the pod's StatefulSet, or, for an orphan, every set
// whose selector matches it (one may adopt it).
func (c *Controller) podChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if key, ok := c.owner(pod); ok {
		c.queue.Add(key)
		return
	}
	if metav1.GetControllerOfNoCopy(pod) != nil {
		return
	}
	sets, err := c.setLister.StatefulSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, set := range sets {
		sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			c.enqueue(set)
		}
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*corev1.Pod)
	pod, ok2 := newObj.(*corev1.Pod)
	if !ok1 || !ok2 || old.ResourceVersion == pod.ResourceVersion {
		return
	}
	c.enqueueOwner(old)
	c.podChanged(pod)
}
