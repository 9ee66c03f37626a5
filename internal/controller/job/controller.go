package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log    *slog.Logger
	Client kubernetes.Interface
	Jobs   batchinformers.JobInformer
	Pods   coreinformers.PodInformer
	// Clock drives backoff, deadlines and the queue's delays; real when nil.
	Clock clock.WithTicker
	// Recorder receives events; when nil the controller records core/v1
	// events through Client as component "job-controller".
	Recorder record.EventRecorder
}

// Controller is the Job controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	jobs        batchlisters.JobLister
	pods        corelisters.PodLister
	synced      []cache.InformerSynced
	clock       clock.WithTicker
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster // nil when Options.Recorder was given
	queue       workqueue.TypedRateLimitingInterface[string]
	expect      *expectations

	mu      sync.Mutex
	backoff map[string]backoffRecord
}

// New builds a Job controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Jobs == nil || o.Pods == nil || o.Log == nil {
		return nil, errors.New("job controller: Log, Client, Jobs and Pods are required")
	}
	c := &Controller{
		log:      o.Log,
		client:   o.Client,
		jobs:     o.Jobs.Lister(),
		pods:     o.Pods.Lister(),
		synced:   []cache.InformerSynced{o.Jobs.Informer().HasSynced, o.Pods.Informer().HasSynced},
		clock:    o.Clock,
		recorder: o.Recorder,
		expect:   newExpectations(),
		backoff:  map[string]backoffRecord{},
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	c.recorder, c.broadcaster = worker.Recorder(c.recorder, "job-controller")
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 1000*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "job", Clock: c.clock})
	if _, err := o.Jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueJob,
		UpdateFunc: func(_, obj any) { c.enqueueJob(obj) },
		DeleteFunc: c.jobDeleted,
	}); err != nil {
		return nil, fmt.Errorf("watch jobs: %w", err)
	}
	if _, err := o.Pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podAdded,
		UpdateFunc: c.podUpdated,
		DeleteFunc: c.podDeleted,
	}); err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	return c, nil
}

// Run syncs Jobs with workers goroutines until ctx ends. The informers must
// be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer worker.Record(c.client, c.broadcaster)()
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

func (c *Controller) enqueueJob(obj any) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) jobDeleted(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.expect.forget(key)
	c.mu.Lock()
	delete(c.backoff, key)
	c.mu.Unlock()
	c.queue.Add(key) // release the tracking finalizers of its pods
}

// jobKeyOf is the key of the Job controlling pod, or "".
func jobKeyOf(pod *corev1.Pod) string {
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != "Job" || ref.APIVersion != batchv1.SchemeGroupVersion.String() {
		return ""
	}
	return pod.Namespace + "/" + ref.Name
}

func (c *Controller) podAdded(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if key := jobKeyOf(pod); key != "" {
		c.expect.created(key)
		c.queue.Add(key)
		return
	}
	c.enqueueSelecting(pod)
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	oldPod, ok1 := oldObj.(*corev1.Pod)
	pod, ok2 := newObj.(*corev1.Pod)
	if !ok1 || !ok2 || oldPod.ResourceVersion == pod.ResourceVersion {
		return
	}
	key := jobKeyOf(pod)
	if oldKey := jobKeyOf(oldPod); oldKey != "" && oldKey != key {
		c.queue.Add(oldKey)
	}
	if key == "" {
		c.enqueueSelecting(pod)
		return
	}
	if !hasFinalizer(pod) {
		c.expect.finalizerObserved(key, pod.UID)
	}
	if pod.DeletionTimestamp != nil && oldPod.DeletionTimestamp == nil {
		c.expect.deleted(key, pod.UID)
	}
	c.queue.Add(key)
}

func (c *Controller) podDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if key := jobKeyOf(pod); key != "" {
		c.expect.deleted(key, pod.UID)
		c.expect.finalizerObserved(key, pod.UID)
		c.queue.Add(key)
	}
}

// enqueueSelecting queues the Jobs whose selector matches a pod without a
// controller, so that they may adopt it.
func (c *Controller) enqueueSelecting(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil || len(pod.Labels) == 0 || metav1.GetControllerOf(pod) != nil {
		return
	}
	jobs, err := c.jobs.Jobs(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, j := range jobs {
		sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		c.queue.Add(j.Namespace + "/" + j.Name)
	}
}
