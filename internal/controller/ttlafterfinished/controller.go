package ttlafterfinished

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log    *slog.Logger
	Client kubernetes.Interface
	Jobs   batchinformers.JobInformer
	// Clock decides expiry and drives the queue's delays; real when nil.
	Clock clock.WithTicker
}

// Controller is the TTL-after-finished controller.
type Controller struct {
	log    *slog.Logger
	client kubernetes.Interface
	jobs   batchlisters.JobLister
	synced cache.InformerSynced
	clock  clock.WithTicker
	queue  workqueue.TypedRateLimitingInterface[string]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Jobs == nil || o.Log == nil {
		return nil, errors.New("ttlafterfinished controller: Log, Client and Jobs are required")
	}
	c := &Controller{log: o.Log, client: o.Client, jobs: o.Jobs.Lister(), synced: o.Jobs.Informer().HasSynced, clock: o.Clock}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 1000*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "ttl_jobs_to_delete", Clock: c.clock})
	enqueue := func(obj any) {
		j, ok := obj.(*batchv1.Job)
		if !ok {
			return
		}
		if _, ok := expiry(j); ok {
			c.queue.Add(j.Namespace + "/" + j.Name)
		}
	}
	if _, err := o.Jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch jobs: %w", err)
	}
	return c, nil
}

// Run deletes expired Jobs with workers goroutines until ctx ends. The
// informer must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, []cache.InformerSynced{c.synced}, c.log, c.sync)
}

// sync deletes the Job at key if it has expired, checking the live object
// first; a Job not yet expired is requeued for its expiry time.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.jobs.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get job %s: %w", key, err)
	}
	if !c.due(key, cached) {
		return nil
	}
	live, err := c.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get job %s: %w", key, err)
	}
	if !c.due(key, live) {
		return nil
	}
	bg := metav1.DeletePropagationBackground
	err = c.client.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{
		PropagationPolicy: &bg,
		Preconditions:     &metav1.Preconditions{UID: &live.UID, ResourceVersion: &live.ResourceVersion},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete expired job %s: %w", key, err)
	}
	c.log.Info("deleted finished job after its TTL", "job", key)
	return nil
}

// due reports whether job has expired, requeueing it for its expiry
// time when it has a TTL that has not passed yet.
func (c *Controller) due(key string, job *batchv1.Job) bool {
	at, ok := expiry(job)
	if !ok {
		return false
	}
	if wait := at.Sub(c.clock.Now()); wait > 0 {
		c.queue.AddAfter(key, wait)
		return false
	}
	return true
}
