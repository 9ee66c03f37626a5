package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
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
	Informer coreinformers.NodeInformer
	Recorder record.EventRecorder
	// ClusterCIDR is where pod CIDRs come from (10.42.0.0/16); NodeMaskSize
	// is their size (24).
	ClusterCIDR  *net.IPNet
	NodeMaskSize int
}

// Controller assigns pod CIDRs to nodes.
type Controller struct {
	opts   Options
	lister corelisters.NodeLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]

	mu    sync.Mutex
	alloc *allocator
	owner map[string]string // CIDR → node name
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	alloc, err := newAllocator(o.ClusterCIDR, o.NodeMaskSize)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		opts: o, lister: o.Informer.Lister(), synced: o.Informer.Informer().HasSynced,
		alloc: alloc, owner: map[string]string{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodeipam"}),
	}
	_, err = o.Informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueue(obj) },
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if n, ok := obj.(*corev1.Node); ok {
				c.releaseNode(n)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("watch nodes: %w", err)
	}
	return c, nil
}

func (c *Controller) enqueue(obj any) {
	if n, ok := obj.(*corev1.Node); ok && n.Spec.PodCIDR == "" {
		c.queue.Add(n.Name)
	}
}

func (c *Controller) releaseNode(n *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cidr := range podCIDRs(n) {
		if c.owner[cidr] == n.Name {
			delete(c.owner, cidr)
			c.alloc.release(cidr)
		}
	}
}

func podCIDRs(n *corev1.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}

// Run marks the ranges of existing nodes taken, then assigns ranges until
// ctx ends. One worker: allocations are serial by design.
func (c *Controller) Run(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		c.queue.ShutDown()
		return nil
	}
	nodes, err := c.lister.List(labels.Everything())
	if err != nil {
		c.queue.ShutDown()
		return fmt.Errorf("list nodes: %w", err)
	}
	c.mu.Lock()
	for _, n := range nodes {
		for _, cidr := range podCIDRs(n) {
			if c.alloc.occupy(cidr) {
				c.owner[cidr] = n.Name
			}
		}
	}
	c.mu.Unlock()
	return worker.Run(ctx, c.queue, 1, nil, c.opts.Log, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) || (err == nil && node.Spec.PodCIDR != "") {
		return nil
	}
	if err != nil {
		return err
	}
	cidr, err := c.rangeFor(name)
	if errors.Is(err, errFull) {
		c.opts.Recorder.Eventf(node, corev1.EventTypeNormal, "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", name)
		return err
	}
	patch := fmt.Appendf(nil, `{"spec":{"podCIDR":%q,"podCIDRs":[%q]}}`, cidr, cidr)
	_, err = c.opts.Client.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		c.mu.Lock()
		delete(c.owner, cidr)
		c.alloc.release(cidr)
		c.mu.Unlock()
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("set pod CIDR %s: %w", cidr, err)
	}
	return nil
}

// rangeFor returns the range already handed to the node (its patch may not
// have reached the informer yet) or a new one.
func (c *Controller) rangeFor(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for cidr, owner := range c.owner {
		if owner == name {
			return cidr, nil
		}
	}
	cidr, err := c.alloc.allocate()
	if err == nil {
		c.owner[cidr] = name
	}
	return cidr, err
}
