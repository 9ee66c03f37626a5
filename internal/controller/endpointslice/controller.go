package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/worker"
)

// ControllerName is the managed-by label value of the slices this
// controller owns.
const ControllerName = "endpointslice-controller.k8s.io"

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock drives the work queue's rate limiting; the real clock when nil.
	Clock clock.WithTicker
	// Recorder emits events; when nil the controller records core/v1
	// events (source "endpointslice-controller") while it runs.
	Recorder record.EventRecorder
	// MaxEndpointsPerSlice is the slice capacity; MaxEndpointsPerSlice
	// (100) when 0.
	MaxEndpointsPerSlice int
}

// Controller is the EndpointSlice controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	nodes       corelisters.NodeLister
	slices      discoverylisters.EndpointSliceLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	tracker     *Tracker
	writer      Writer
	triggers    *TriggerTimes
	max         int
}

// New builds an EndpointSlice controller and registers its handlers on the
// Services, Pods, Nodes and EndpointSlices informers of o.Informers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Informers == nil || o.Log == nil {
		return nil, errors.New("endpointslice controller: Log, Client and Informers are required")
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	max := o.MaxEndpointsPerSlice
	if max <= 0 {
		max = MaxEndpointsPerSlice
	}
	svcs, pods := o.Informers.Core().V1().Services(), o.Informers.Core().V1().Pods()
	nodes, slices := o.Informers.Core().V1().Nodes(), o.Informers.Discovery().V1().EndpointSlices()
	c := &Controller{
		log: o.Log, client: o.Client, recorder: o.Recorder,
		services: svcs.Lister(), pods: pods.Lister(), nodes: nodes.Lister(), slices: slices.Lister(),
		synced: []cache.InformerSynced{svcs.Informer().HasSynced, pods.Informer().HasSynced,
			nodes.Informer().HasSynced, slices.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpointslice", Clock: clk}),
		tracker: NewTracker(), triggers: NewTriggerTimes(), max: max,
	}
	c.writer = Writer{Client: o.Client, Tracker: c.tracker}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "endpointslice-controller")
	handlers := []struct {
		what string
		inf  cache.SharedIndexInformer
		h    cache.ResourceEventHandler
	}{
		{"services", svcs.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: func(_, n any) { c.enqueue(n) }, DeleteFunc: c.enqueue}},
		{"pods", pods.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.podChanged, UpdateFunc: c.podUpdated, DeleteFunc: c.podChanged}},
		{"nodes", nodes.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { c.enqueueAll() }, UpdateFunc: c.nodeUpdated, DeleteFunc: func(any) { c.enqueueAll() }}},
		{"endpointslices", slices.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.sliceChanged, UpdateFunc: func(_, n any) { c.sliceChanged(n) }, DeleteFunc: c.sliceDeleted}},
	}
	for _, h := range handlers {
		if _, err := h.inf.AddEventHandler(h.h); err != nil {
			return nil, fmt.Errorf("watch %s: %w", h.what, err)
		}
	}
	return c, nil
}

// Run syncs Services with workers goroutines until ctx ends. The informer
// factory must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer worker.Record(c.client, c.broadcaster)()
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueAll() {
	all, err := c.services.List(labels.Everything())
	if err != nil {
		return
	}
	for _, s := range all {
		c.enqueue(s)
	}
}

// enqueueSelecting queues every Service whose selector matches pod.
func (c *Controller) enqueueSelecting(pod *corev1.Pod) {
	all, err := c.services.Services(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, s := range all {
		if s.Spec.Selector != nil && labels.SelectorFromValidatedSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			c.enqueue(s)
		}
	}
}

func podOf(obj any) (*corev1.Pod, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	p, ok := obj.(*corev1.Pod)
	return p, ok
}

func (c *Controller) podChanged(obj any) {
	if p, ok := podOf(obj); ok {
		c.enqueueSelecting(p)
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, ok1 := podOf(oldObj)
	p, ok2 := podOf(newObj)
	if !ok1 || !ok2 || old.ResourceVersion == p.ResourceVersion {
		return
	}
	c.enqueueSelecting(p)
	if !labels.Equals(old.Labels, p.Labels) {
		c.enqueueSelecting(old)
	}
}

func (c *Controller) nodeUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*corev1.Node)
	n, ok2 := newObj.(*corev1.Node)
	if ok1 && ok2 && old.Labels[corev1.LabelTopologyZone] != n.Labels[corev1.LabelTopologyZone] {
		c.enqueueAll()
	}
}

// sliceKey returns the Service key of a slice this controller manages.
func sliceKey(obj any) (*discoveryv1.EndpointSlice, string, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || s.Labels[discoveryv1.LabelManagedBy] != ControllerName || s.Labels[discoveryv1.LabelServiceName] == "" {
		return nil, "", false
	}
	return s, s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName], true
}

func (c *Controller) sliceChanged(obj any) {
	if s, key, ok := sliceKey(obj); ok && !c.tracker.Own(key, s) {
		c.queue.Add(key)
	}
}

func (c *Controller) sliceDeleted(obj any) {
	if s, key, ok := sliceKey(obj); ok {
		c.tracker.Gone(key, s.UID)
		c.queue.Add(key)
	}
}
