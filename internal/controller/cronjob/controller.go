package cronjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log      *slog.Logger
	Client   kubernetes.Interface
	CronJobs batchinformers.CronJobInformer
	Jobs     batchinformers.JobInformer
	// Clock decides when schedules are due and drives the queue's delays,
	// so a fake clock moves CronJobs forward in tests; real when nil.
	Clock clock.WithTicker
	// Recorder receives events; when nil the controller records core/v1
	// events through Client as component "cronjob-controller".
	Recorder record.EventRecorder
}

// Controller is the CronJob controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	cronJobs    batchlisters.CronJobLister
	jobs        batchlisters.JobLister
	synced      []cache.InformerSynced
	clock       clock.WithTicker
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	queue       workqueue.TypedRateLimitingInterface[string]
}

// New builds a CronJob controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.CronJobs == nil || o.Jobs == nil || o.Log == nil {
		return nil, errors.New("cronjob controller: Log, Client, CronJobs and Jobs are required")
	}
	c := &Controller{
		log:      o.Log,
		client:   o.Client,
		cronJobs: o.CronJobs.Lister(),
		jobs:     o.Jobs.Lister(),
		synced:   []cache.InformerSynced{o.CronJobs.Informer().HasSynced, o.Jobs.Informer().HasSynced},
		clock:    o.Clock,
		recorder: o.Recorder,
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "cronjob-controller")
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 1000*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "cronjob", Clock: c.clock})
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	if _, err := o.CronJobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch cronjobs: %w", err)
	}
	if _, err := o.Jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueOwner,
		UpdateFunc: func(_, obj any) { c.enqueueOwner(obj) },
		DeleteFunc: c.enqueueOwner,
	}); err != nil {
		return nil, fmt.Errorf("watch jobs: %w", err)
	}
	return c, nil
}

// enqueueOwner queues the CronJob controlling a Job.
func (c *Controller) enqueueOwner(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	j, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOf(j); ref != nil && ref.Kind == "CronJob" && ref.APIVersion == batchv1.SchemeGroupVersion.String() {
		c.queue.Add(j.Namespace + "/" + ref.Name)
	}
}

// Run syncs CronJobs with workers goroutines until ctx ends. The informers
// must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer worker.Record(c.client, c.broadcaster)()
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, func(ctx context.Context, key string) error {
		requeue, err := c.sync(ctx, key)
		if err == nil && requeue > 0 {
			c.queue.AddAfter(key, requeue) // the next schedule time
		}
		return err
	})
}
