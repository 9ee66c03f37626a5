package endpoints

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/endpointslice"

	"github.com/capstan/capstan/internal/controller/worker"
)

// leaderAnnotation marks Endpoints used as leader-election locks by old
// components; they are never cleaned up.
const leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock drives the work queue's rate limiting; the real clock when nil.
	Clock clock.WithTicker
	// Recorder emits events; when nil the controller records core/v1
	// events (source "endpoint-controller") while it runs.
	Recorder record.EventRecorder
}

// Controller is the Endpoints controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	endpoints   corelisters.EndpointsLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	triggers    *endpointslice.TriggerTimes
}

// New builds an Endpoints controller and registers its handlers on the
// Services, Pods and Endpoints informers of o.Informers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Informers == nil || o.Log == nil {
		return nil, errors.New("endpoints controller: Log, Client and Informers are required")
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	core := o.Informers.Core().V1()
	svcs, pods, eps := core.Services(), core.Pods(), core.Endpoints()
	c := &Controller{
		log: o.Log, client: o.Client, recorder: o.Recorder,
		services: svcs.Lister(), pods: pods.Lister(), endpoints: eps.Lister(),
		synced: []cache.InformerSynced{svcs.Informer().HasSynced, pods.Informer().HasSynced, eps.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpoint", Clock: clk}),
		triggers: endpointslice.NewTriggerTimes(),
	}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "endpoint-controller")
	handlers := []struct {
		what string
		inf  cache.SharedIndexInformer
		h    cache.ResourceEventHandler
	}{
		{"services", svcs.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: func(_, n any) { c.enqueue(n) }, DeleteFunc: c.enqueue}},
		{"pods", pods.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc: c.podChanged, UpdateFunc: c.podUpdated, DeleteFunc: c.podChanged}},
		{"endpoints", eps.Informer(), cache.ResourceEventHandlerFuncs{DeleteFunc: c.enqueue}},
	}
	for _, h := range handlers {
		if _, err := h.inf.AddEventHandler(h.h); err != nil {
			return nil, fmt.Errorf("watch %s: %w", h.what, err)
		}
	}
	return c, nil
}

// Run syncs Services with workers goroutines until ctx ends. The informer
// factory must be started by the caller. After the caches sync it queues
// every Endpoints once, so ones whose Service went away while the
// controller was down are deleted.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer worker.Record(c.client, c.broadcaster)()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		c.queue.ShutDown()
		return nil
	}
	c.queueLeftovers()
	return worker.Run(ctx, c.queue, workers, nil, c.log, c.sync)
}

func (c *Controller) queueLeftovers() {
	all, err := c.endpoints.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ep := range all {
		if _, ok := ep.Annotations[leaderAnnotation]; !ok {
			c.enqueue(ep)
		}
	}
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
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
