package endpointslicemirroring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/endpointslice"

	"github.com/capstan/capstan/internal/controller/worker"
)

// errStale makes a sync retry until the informer shows the controller's
// own writes.
var errStale = errors.New("endpointslice informer cache is older than this controller's writes")

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock drives the work queue's rate limiting; the real clock when nil.
	Clock clock.WithTicker
	// Recorder emits events; when nil the controller records core/v1
	// events (source "endpointslice-mirroring-controller") while it runs.
	Recorder record.EventRecorder
}

// Controller is the EndpointSlice mirroring controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	services    corelisters.ServiceLister
	endpoints   corelisters.EndpointsLister
	slices      discoverylisters.EndpointSliceLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	tracker     *endpointslice.Tracker
	writer      endpointslice.Writer
}

// New builds a mirroring controller and registers its handlers on the
// Services, Endpoints and EndpointSlices informers of o.Informers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Informers == nil || o.Log == nil {
		return nil, errors.New("endpointslicemirroring controller: Log, Client and Informers are required")
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	svcs, eps := o.Informers.Core().V1().Services(), o.Informers.Core().V1().Endpoints()
	slices := o.Informers.Discovery().V1().EndpointSlices()
	tr := endpointslice.NewTracker()
	c := &Controller{
		log: o.Log, client: o.Client, recorder: o.Recorder,
		services: svcs.Lister(), endpoints: eps.Lister(), slices: slices.Lister(),
		synced: []cache.InformerSynced{svcs.Informer().HasSynced, eps.Informer().HasSynced, slices.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpointslice_mirroring", Clock: clk}),
		tracker: tr, writer: endpointslice.Writer{Client: o.Client, Tracker: tr},
	}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "endpointslice-mirroring-controller")
	queueObj := cache.ResourceEventHandlerFuncs{AddFunc: c.enqueue, UpdateFunc: func(_, n any) { c.enqueue(n) }, DeleteFunc: c.enqueue}
	handlers := []struct {
		what string
		inf  cache.SharedIndexInformer
		h    cache.ResourceEventHandler
	}{
		{"services", svcs.Informer(), queueObj},
		{"endpoints", eps.Informer(), queueObj},
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

// Run syncs Endpoints with workers goroutines until ctx ends. The informer
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

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{
		discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: ControllerName}))
	if err != nil {
		return fmt.Errorf("list mirrored endpointslices of %s: %w", key, err)
	}
	if c.tracker.Stale(key, cached) {
		return errStale
	}
	live := make([]*discoveryv1.EndpointSlice, 0, len(cached))
	for _, s := range cached {
		if s.DeletionTimestamp == nil {
			live = append(live, s)
		}
	}
	svc, err := c.services.Services(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("get service %s: %w", key, err)
	}
	ep, err := c.endpoints.Endpoints(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("get endpoints %s: %w", key, err)
	}
	if !ShouldMirror(ep, svc) {
		ep = nil
	}
	plan, skipped := Plan(ep, live)
	if plan.Empty() {
		return nil
	}
	if ep != nil && skipped > 0 {
		c.recorder.Eventf(ep, corev1.EventTypeWarning, "AddressesSkipped",
			"%d addresses in %s Endpoints were skipped due to exceeding MaxEndpointsPerSubset or being invalid", skipped, name)
	}
	if err := c.writer.Apply(ctx, key, plan); err != nil {
		if ep != nil {
			c.recorder.Eventf(ep, corev1.EventTypeWarning, "FailedToUpdateEndpointSlices",
				"Error updating EndpointSlices for Endpoints %s/%s: %v", ns, name, err)
		}
		return err
	}
	return nil
}
