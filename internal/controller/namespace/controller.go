package namespace

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Client    kubernetes.Interface
	Metadata  metadata.Interface
	Discovery discovery.DiscoveryInterface
	Informer  coreinformers.NamespaceInformer
	// Now is the clock for condition transition times; time.Now when nil.
	Now func() time.Time
}

// Controller is the namespace controller.
type Controller struct {
	log     *slog.Logger
	client  kubernetes.Interface
	lister  corelisters.NamespaceLister
	synced  cache.InformerSynced
	queue   workqueue.TypedRateLimitingInterface[string]
	deleter deleter
	now     func() time.Time
}

// errContentRemaining makes the queue retry a namespace with backoff,
// quietly: waiting for content to go is expected.
var errContentRemaining = fmt.Errorf("namespace content remaining: %w", worker.ErrRetry)

// New builds a namespace controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	c := &Controller{
		log:     o.Log,
		client:  o.Client,
		lister:  o.Informer.Lister(),
		synced:  o.Informer.Informer().HasSynced,
		deleter: deleter{log: o.Log, meta: o.Metadata, disc: o.Discovery},
		now:     now,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace"}),
	}
	enqueue := func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
			c.queue.Add(ns.Name)
		}
	}
	_, err := o.Informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("watch namespaces: %w", err)
	}
	return c, nil
}

// Run processes terminating namespaces with workers goroutines until ctx
// ends. The informer must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, []cache.InformerSynced{c.synced}, c.log, c.sync)
}

// sync converges one namespace: while it is terminating and holds the
// "kubernetes" finalizer, delete its content, report, and finalize it once
// it is empty.
func (c *Controller) sync(ctx context.Context, name string) error {
	cached, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", name, err)
	}
	if cached.DeletionTimestamp == nil || !slices.Contains(cached.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return nil
	}
	report, wait := c.deleter.sweep(ctx, name)
	ns, err := c.writeConditions(ctx, cached, report)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !report.Done() {
		if wait > 0 {
			c.queue.AddAfter(name, wait)
		}
		return errContentRemaining
	}
	fin := ns.DeepCopy()
	fin.Spec.Finalizers = slices.DeleteFunc(fin.Spec.Finalizers, func(f corev1.FinalizerName) bool { return f == corev1.FinalizerKubernetes })
	if _, err := c.client.CoreV1().Namespaces().Finalize(ctx, fin, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("finalize namespace %s: %w", name, err)
	}
	c.log.Info("namespace finalized", "namespace", name)
	return nil
}

// writeConditions updates status.conditions when they changed and returns
// the namespace as it now is.
func (c *Controller) writeConditions(ctx context.Context, ns *corev1.Namespace, r Report) (*corev1.Namespace, error) {
	conds := Conditions(ns.Status.Conditions, r, metav1.NewTime(c.now().Truncate(time.Second)))
	if equality.Semantic.DeepEqual(conds, ns.Status.Conditions) {
		return ns, nil
	}
	next := ns.DeepCopy()
	next.Status.Conditions = conds
	out, err := c.client.CoreV1().Namespaces().UpdateStatus(ctx, next, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("update status of namespace %s: %w", ns.Name, err)
	}
	return out, nil
}
