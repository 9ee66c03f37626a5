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
	// is the size of IPv4 ranges (24, upstream's node-cidr-mask-size-ipv4).
	ClusterCIDR  *net.IPNet
	NodeMaskSize int
	// SecondaryClusterCIDR, of the other IP family, makes the cluster
	// dual-stack: every node then gets one range of each (podCIDRs, primary
	// first). NodeMaskSizeIPv6 is the size of IPv6 ranges (default 64, as
	// upstream's node-cidr-mask-size-ipv6).
	SecondaryClusterCIDR *net.IPNet
	NodeMaskSizeIPv6     int
}

// Controller assigns pod CIDRs to nodes.
type Controller struct {
	opts   Options
	lister corelisters.NodeLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]

	mu     sync.Mutex
	allocs []*allocator      // one per cluster CIDR, primary first
	owner  map[string]string // CIDR → node name
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	allocs, err := newAllocators(o)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		opts: o, lister: o.Informer.Lister(), synced: o.Informer.Informer().HasSynced,
		allocs: allocs, owner: map[string]string{},
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
			releaseCIDR(c.allocs, cidr)
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
			if occupyCIDR(c.allocs, cidr) {
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
	cidrs, err := c.rangesFor(name)
	if errors.Is(err, errFull) {
		c.opts.Recorder.Eventf(node, corev1.EventTypeNormal, "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", name)
		return err
	}
	patch, err := podCIDRPatch(cidrs)
	if err != nil {
		return err
	}
	_, err = c.opts.Client.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		c.mu.Lock()
		c.forget(cidrs)
		c.mu.Unlock()
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("set pod CIDRs %v: %w", cidrs, err)
	}
	return nil
}

// forget releases cidrs; c.mu is held.
func (c *Controller) forget(cidrs []string) {
	for _, cidr := range cidrs {
		delete(c.owner, cidr)
		releaseCIDR(c.allocs, cidr)
	}
}

// rangesFor returns one range per cluster CIDR for the node: those
// already handed to it (its patch may not have reached the informer yet) or
// new ones. If any cluster CIDR is full, nothing new stays taken.
func (c *Controller) rangesFor(name string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cidrs := make([]string, 0, len(c.allocs))
	var fresh []string
	for _, a := range c.allocs {
		cidr, ok := c.ownedIn(a, name)
		if !ok {
			var err error
			if cidr, err = a.allocate(); err != nil {
				c.forget(fresh)
				return nil, err
			}
			c.owner[cidr] = name
			fresh = append(fresh, cidr)
		}
		cidrs = append(cidrs, cidr)
	}
	return cidrs, nil
}

// ownedIn returns the range of a that node name holds; c.mu is held.
func (c *Controller) ownedIn(a *allocator, name string) (string, bool) {
	for cidr, owner := range c.owner {
		if _, ours := a.index(cidr); ours && owner == name {
			return cidr, true
		}
	}
	return "", false
}
