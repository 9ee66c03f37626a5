package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota/quota"
	"github.com/capstan/capstan/internal/controller/worker"
)

// DefaultResyncPeriod is how often every quota is recomputed, as
// kube-controller-manager's --resource-quota-sync-period.
const DefaultResyncPeriod = 5 * time.Minute

// Options configures a Controller.
type Options struct {
	Log    *slog.Logger
	Client kubernetes.Interface
	// Metadata and Discovery count the objects of resources without an
	// informer here (count/<resource>.<group>, configmaps, secrets, …).
	Metadata  metadata.Interface
	Discovery discovery.DiscoveryInterface
	Quotas    coreinformers.ResourceQuotaInformer
	Pods      coreinformers.PodInformer
	Services  coreinformers.ServiceInformer
	Claims    coreinformers.PersistentVolumeClaimInformer
	// Replenish are more informers (for example metadata informers of
	// configmaps and secrets) whose deletions recompute the quotas of the
	// object's namespace. Optional.
	Replenish []cache.SharedIndexInformer
	Clock     clock.WithTicker // nil: the real clock
	// ResyncPeriod is how often every quota is recomputed (0: default).
	ResyncPeriod time.Duration
}

// Controller is the resource quota controller.
type Controller struct {
	log      *slog.Logger
	client   kubernetes.Interface
	metadata metadata.Interface
	mapper   *restmapper.DeferredDiscoveryRESTMapper
	quotas   corelisters.ResourceQuotaLister
	pods     corelisters.PodLister
	services corelisters.ServiceLister
	claims   corelisters.PersistentVolumeClaimLister
	synced   []cache.InformerSynced
	clock    clock.WithTicker
	resync   time.Duration
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Quotas == nil || o.Pods == nil || o.Services == nil || o.Claims == nil {
		return nil, errors.New("resourcequota controller: client and informers are required")
	}
	c := &Controller{
		log: o.Log, client: o.Client, metadata: o.Metadata, clock: o.Clock, resync: o.ResyncPeriod,
		quotas: o.Quotas.Lister(), pods: o.Pods.Lister(), services: o.Services.Lister(), claims: o.Claims.Lister(),
		synced: []cache.InformerSynced{o.Quotas.Informer().HasSynced, o.Pods.Informer().HasSynced,
			o.Services.Informer().HasSynced, o.Claims.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "resourcequota"}),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.resync <= 0 {
		c.resync = DefaultResyncPeriod
	}
	if o.Discovery != nil {
		c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(o.Discovery))
	}
	if err := c.watch(o); err != nil {
		return nil, err
	}
	return c, nil
}

// watch registers the handlers: quotas on create and spec change; the
// namespace's quotas when a counted object goes away or its usage changes.
func (c *Controller) watch(o Options) error {
	if _, err := o.Quotas.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.ResourceQuota)
			n, ok2 := cur.(*corev1.ResourceQuota)
			if ok1 && ok2 && (!quota.Equal(o.Spec.Hard, n.Spec.Hard) || NeedsSync(n)) {
				c.enqueue(n)
			}
		},
	}); err != nil {
		return fmt.Errorf("watch resourcequotas: %w", err)
	}
	now := c.clock.Now
	for gr, inf := range map[schema.GroupResource]cache.SharedIndexInformer{corev1.Resource("pods"): o.Pods.Informer(),
		corev1.Resource("services"): o.Services.Informer(), corev1.Resource("persistentvolumeclaims"): o.Claims.Informer()} {
		ev := quota.For(gr, now)
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(old, cur any) {
				if UsageChanged(ev, old, cur) {
					c.enqueueNamespace(cur)
				}
			},
			DeleteFunc: c.enqueueNamespace,
		}); err != nil {
			return fmt.Errorf("watch %s: %w", gr, err)
		}
	}
	for _, inf := range o.Replenish {
		c.synced = append(c.synced, inf.HasSynced)
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.enqueueNamespace}); err != nil {
			return fmt.Errorf("watch for replenishment: %w", err)
		}
	}
	return nil
}

// NeedsSync reports a quota whose status does not yet reflect its spec:
// status.hard differs, or a limited resource has no usage.
func NeedsSync(q *corev1.ResourceQuota) bool {
	if q.Status.Hard == nil || q.Status.Used == nil || !quota.Equal(q.Spec.Hard, q.Status.Hard) {
		return true
	}
	for n := range q.Spec.Hard {
		if _, ok := q.Status.Used[n]; !ok {
			return true
		}
	}
	return false
}

// UsageChanged reports whether an object's usage differs between old and
// cur (a pod finishing, a service changing type, a claim resized).
func UsageChanged(ev quota.Evaluator, old, cur any) bool {
	o, ok1 := old.(runtime.Object)
	n, ok2 := cur.(runtime.Object)
	if !ok1 || !ok2 {
		return false
	}
	ou, err1 := ev.Usage(o)
	nu, err2 := ev.Usage(n)
	return err1 == nil && err2 == nil && !quota.Equal(ou, nu)
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// enqueueNamespace enqueues every quota of obj's namespace.
func (c *Controller) enqueueNamespace(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil || m.GetNamespace() == "" {
		return
	}
	qs, err := c.quotas.ResourceQuotas(m.GetNamespace()).List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range qs {
		c.enqueue(q)
	}
}

// Run syncs quotas with workers goroutines, and enqueues every quota each
// resync period, until ctx ends. The informers must be started by the
// caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		ticker := c.clock.NewTicker(c.resync)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C():
				c.enqueueAll()
			}
		}
	})
	return worker.Run(ctx, c.queue, max(workers, 1), c.synced, c.log, c.sync)
}

func (c *Controller) enqueueAll() {
	qs, err := c.quotas.List(labels.Everything())
	if err != nil {
		c.log.Info("list quotas for resync failed", "err", err)
		return
	}
	for _, q := range qs {
		c.enqueue(q)
	}
}

// sync recomputes one quota's status and writes it if it changed.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	q, err := c.quotas.ResourceQuotas(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get quota %s: %w", key, err)
	}
	used, calcErr := c.usage(ctx, q)
	status := corev1.ResourceQuotaStatus{Hard: quota.Add(corev1.ResourceList{}, q.Spec.Hard), Used: used}
	if q.Status.Hard != nil && q.Status.Used != nil && quota.Equal(q.Status.Hard, status.Hard) && quota.Equal(q.Status.Used, status.Used) {
		return calcErr
	}
	next := q.DeepCopy()
	next.Status = status
	if _, err := c.client.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
		return errors.Join(calcErr, fmt.Errorf("update status of quota %s: %w", key, err))
	}
	return calcErr
}

// usage computes status.used for q: for every limited resource, what the
// objects consume; a resource whose objects could not be read keeps its
// previous usage (and the error is returned for a retry).
func (c *Controller) usage(ctx context.Context, q *corev1.ResourceQuota) (corev1.ResourceList, error) {
	used := quota.Add(corev1.ResourceList{}, q.Status.Used)
	var errs []error
	for _, gr := range quota.Needed(q.Spec.Hard) {
		objs, err := c.objects(ctx, q.Namespace, gr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		u, err := quota.Used(q, gr, objs, c.clock.Now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for k, v := range u {
			used[k] = v
		}
	}
	return quota.Mask(used, quota.Names(q.Spec.Hard)), errors.Join(errs...)
}
