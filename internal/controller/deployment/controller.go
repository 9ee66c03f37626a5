package deployment

import (
	"context"
	"fmt"
	"log/slog"

	appsv1 "k8s.io/api/apps/v1"
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

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	// Clock times conditions and progress deadlines; the real clock when nil.
	Clock clock.WithTicker
	// Recorder records events; when nil the controller records to the
	// core/v1 events API itself while Run runs.
	Recorder record.EventRecorder
}

// Controller is the Deployment controller.
type Controller struct {
	log         *slog.Logger
	client      kubernetes.Interface
	deployments appslisters.DeploymentLister
	rss         appslisters.ReplicaSetLister
	pods        corelisters.PodLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	clock       clock.WithTicker
	rec         record.EventRecorder
	broadcaster record.EventBroadcaster
}

// New builds the Deployment controller and registers its handlers on the
// Deployment, ReplicaSet and Pod informers of o.Informers; the caller
// starts the factory.
func New(o Options) (*Controller, error) {
	dInf, rsInf, podInf := o.Informers.Apps().V1().Deployments(), o.Informers.Apps().V1().ReplicaSets(), o.Informers.Core().V1().Pods()
	c := &Controller{
		log: o.Log, client: o.Client, clock: o.Clock, rec: o.Recorder,
		deployments: dInf.Lister(), rss: rsInf.Lister(), pods: podInf.Lister(),
		synced: []cache.InformerSynced{dInf.Informer().HasSynced, rsInf.Informer().HasSynced, podInf.Informer().HasSynced},
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	c.rec, c.broadcaster = worker.Recorder(c.rec, "deployment-controller")
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "deployment", Clock: c.clock})
	enqueue := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		if d, ok := obj.(*appsv1.Deployment); ok {
			c.queue.Add(d.Namespace + "/" + d.Name)
		}
	}
	if _, err := dInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	}); err != nil {
		return nil, fmt.Errorf("watch deployments: %w", err)
	}
	if _, err := rsInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.rsChanged, UpdateFunc: c.updateRS, DeleteFunc: c.rsChanged,
	}); err != nil {
		return nil, fmt.Errorf("watch replicasets: %w", err)
	}
	if _, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.deletePod}); err != nil {
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

// ownerOf resolves a controller reference to a cached Deployment with the
// same UID, or nil.
func (c *Controller) ownerOf(ns string, ref *metav1.OwnerReference) *appsv1.Deployment {
	if ref == nil || ref.Kind != "Deployment" || ref.APIVersion != appsv1.SchemeGroupVersion.String() {
		return nil
	}
	d, err := c.deployments.Deployments(ns).Get(ref.Name)
	if err != nil || d.UID != ref.UID {
		return nil
	}
	return d
}

func (c *Controller) enqueueOwner(ns string, ref *metav1.OwnerReference) bool {
	if d := c.ownerOf(ns, ref); d != nil {
		c.queue.Add(ns + "/" + d.Name)
		return true
	}
	return false
}

// enqueueMatching enqueues every Deployment whose selector matches an
// orphan ReplicaSet's labels, so one of them can adopt it.
func (c *Controller) enqueueMatching(rs *appsv1.ReplicaSet) {
	ds, err := c.deployments.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, d := range ds {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(rs.Labels)) {
			c.queue.Add(d.Namespace + "/" + d.Name)
		}
	}
}

func (c *Controller) rsChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(rs)
	if !c.enqueueOwner(rs.Namespace, ref) && ref == nil && rs.DeletionTimestamp == nil {
		c.enqueueMatching(rs)
	}
}

func (c *Controller) updateRS(oldObj, curObj any) {
	old, cur := oldObj.(*appsv1.ReplicaSet), curObj.(*appsv1.ReplicaSet)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	oldRef, curRef := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(cur)
	if oldRef != nil && (curRef == nil || curRef.UID != oldRef.UID) {
		c.enqueueOwner(old.Namespace, oldRef)
	}
	c.rsChanged(cur)
}

// deletePod wakes a Recreate Deployment waiting for old pods to go away.
func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, err := c.rss.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	if d := c.ownerOf(rs.Namespace, metav1.GetControllerOfNoCopy(rs)); d != nil && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.queue.Add(d.Namespace + "/" + d.Name)
	}
}
