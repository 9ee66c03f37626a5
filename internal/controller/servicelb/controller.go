package servicelb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configure a Controller.
type Options struct {
	Log      *slog.Logger
	Client   kubernetes.Interface
	Services coreinformers.ServiceInformer
	Nodes    coreinformers.NodeInformer
	// Recorder reports as upstream's "service-controller".
	Recorder record.EventRecorder
	// Pool, when not empty, is where ingress addresses come from: one per
	// Service, kept while the Service is of type LoadBalancer; a Service
	// may ask for one by name (see RequestedIPs). Empty means the addresses
	// of the Ready nodes. ParsePool reads the flag's text.
	Pool []AddrRange
}

// Controller publishes status.loadBalancer for LoadBalancer Services.
type Controller struct {
	opts     Options
	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]

	mu   sync.Mutex
	pool *pool // nil in node mode
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Services == nil || o.Nodes == nil || o.Recorder == nil {
		return nil, errors.New("servicelb: Client, Services, Nodes and Recorder are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		opts: o, services: o.Services.Lister(), nodes: o.Nodes.Lister(),
		synced: []cache.InformerSynced{o.Services.Informer().HasSynced, o.Nodes.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "servicelb"}),
	}
	if len(o.Pool) > 0 {
		p, err := newPool(o.Pool)
		if err != nil {
			return nil, err
		}
		c.pool = p
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, err := o.Services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("watch services: %w", err)
	}
	if c.pool != nil {
		return c, nil // pool addresses do not depend on nodes
	}
	_, err = o.Nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.enqueueAll() },
		UpdateFunc: func(old, cur any) {
			was, ok1 := old.(*corev1.Node)
			is, ok2 := cur.(*corev1.Node)
			if !ok1 || !ok2 || nodeReady(was) != nodeReady(is) || !slices.Equal(nodeAddresses(was), nodeAddresses(is)) {
				c.enqueueAll()
			}
		},
		DeleteFunc: func(any) { c.enqueueAll() },
	})
	if err != nil {
		return nil, fmt.Errorf("watch nodes: %w", err)
	}
	return c, nil
}

// enqueueAll queues every Service this controller serves: the node set
// changed.
func (c *Controller) enqueueAll() {
	svcs, err := c.services.List(labels.Everything())
	if err != nil {
		return
	}
	for _, svc := range svcs {
		if wantsLoadBalancer(svc) {
			c.queue.Add(svc.Namespace + "/" + svc.Name)
		}
	}
}

// Run takes back the pool addresses existing Services already show, then
// runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		c.queue.ShutDown()
		return nil
	}
	if c.pool != nil {
		if err := c.reclaim(); err != nil {
			c.queue.ShutDown()
			return err
		}
	}
	return worker.Run(ctx, c.queue, workers, nil, c.opts.Log, c.sync)
}

// reclaim marks the pool addresses in existing statuses taken, oldest
// Service first, so a restart changes no address.
func (c *Controller) reclaim() error {
	svcs, err := c.services.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		if d := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); d != 0 {
			return d
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, svc := range svcs {
		if !wantsLoadBalancer(svc) {
			continue
		}
		for _, ip := range statusIPs(svc.Status.LoadBalancer) {
			if c.pool.claim(svc.Namespace+"/"+svc.Name, ip) {
				break
			}
		}
	}
	return nil
}

func (c *Controller) release(key string) {
	if c.pool == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pool.release(key)
}

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // not a key we made; nothing to retry
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.release(key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get service %s: %w", key, err)
	}
	if !wantsLoadBalancer(svc) {
		c.release(key)
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) == 0 {
			return nil // another implementation's, or nothing to clear
		}
		c.opts.Recorder.Event(svc, corev1.EventTypeNormal, "DeletingLoadBalancer", "Deleting load balancer")
		if err := c.writeStatus(ctx, svc, nil); err != nil {
			return err
		}
		c.opts.Recorder.Event(svc, corev1.EventTypeNormal, "DeletedLoadBalancer", "Deleted load balancer")
		return nil
	}
	want, err := c.ingress(key, svc)
	if err != nil {
		c.opts.Recorder.Eventf(svc, corev1.EventTypeWarning, "SyncLoadBalancerFailed", "Error syncing load balancer: %v", err)
		return err
	}
	if equality.Semantic.DeepEqual(svc.Status.LoadBalancer.Ingress, want) {
		return nil
	}
	c.opts.Recorder.Event(svc, corev1.EventTypeNormal, "EnsuringLoadBalancer", "Ensuring load balancer")
	if err := c.writeStatus(ctx, svc, want); err != nil {
		c.opts.Recorder.Eventf(svc, corev1.EventTypeWarning, "SyncLoadBalancerFailed", "Error syncing load balancer: %v", err)
		return err
	}
	c.opts.Recorder.Event(svc, corev1.EventTypeNormal, "EnsuredLoadBalancer", "Ensured load balancer")
	return nil
}

// ingress is the ingress svc should show: node addresses, or its pool
// address.
func (c *Controller) ingress(key string, svc *corev1.Service) ([]corev1.LoadBalancerIngress, error) {
	if c.pool == nil {
		nodes, err := c.nodes.List(labels.Everything())
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		return NodeIngress(svc, nodes), nil
	}
	requested, err := RequestedIPs(svc)
	if err != nil {
		return nil, err
	}
	fam := primaryFamily(svc)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ip := range requested {
		if familyOf(ip) == fam {
			if err := c.pool.request(key, ip); err != nil {
				return nil, err
			}
			return ingressFor(ip), nil
		}
	}
	ip, err := c.pool.assign(key, fam, statusIPs(svc.Status.LoadBalancer))
	if err != nil {
		return nil, err
	}
	return ingressFor(ip), nil
}

// writeStatus replaces the Service's load-balancer ingress; the lister's
// object is copied, never modified.
func (c *Controller) writeStatus(ctx context.Context, svc *corev1.Service, ingress []corev1.LoadBalancerIngress) error {
	upd := svc.DeepCopy()
	upd.Status.LoadBalancer = corev1.LoadBalancerStatus{Ingress: ingress}
	_, err := c.opts.Client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update load-balancer status of %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}
