package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	coordinformers "k8s.io/client-go/informers/coordination/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	coordlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// Defaults, as upstream's kube-controller-manager flags (grace as the
// project brief sets it).
const (
	DefaultGracePeriod        = 40 * time.Second
	DefaultStartupGracePeriod = 60 * time.Second
	DefaultMonitorPeriod      = 5 * time.Second
)

// podNodeIndex indexes pods by spec.nodeName.
const podNodeIndex = "nodelifecycle/spec.nodeName"

// Options configures a Controller. Zero durations take the defaults.
type Options struct {
	Log    *slog.Logger
	Client kubernetes.Interface
	Nodes  coreinformers.NodeInformer
	Pods   coreinformers.PodInformer
	Leases coordinformers.LeaseInformer // leases of kube-node-lease are used
	// Recorder records events; nil builds a broadcaster to core/v1 Events
	// with the upstream components node-controller and
	// taint-eviction-controller.
	Recorder           record.EventRecorder
	Clock              clock.WithTicker // nil: the real clock
	GracePeriod        time.Duration
	StartupGracePeriod time.Duration
	MonitorPeriod      time.Duration
	Eviction           EvictionConfig // zero: DefaultEvictionConfig()
}

// Controller is the node lifecycle controller.
type Controller struct {
	log        *slog.Logger
	client     kubernetes.Interface
	nodes      corelisters.NodeLister
	leases     coordlisters.LeaseLister
	podIndex   cache.Indexer
	pods       corelisters.PodLister
	synced     []cache.InformerSynced
	nodeEvents record.EventRecorder
	taintEvent record.EventRecorder
	stopEvents func()
	clock      clock.WithTicker
	grace      time.Duration
	startup    time.Duration
	period     time.Duration
	cfg        EvictionConfig

	monitor *monitorState // owned by the monitor goroutine
	evictor *evictor
}

// New builds the controller and registers its informer handlers and the
// pod index it needs.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Nodes == nil || o.Pods == nil || o.Leases == nil {
		return nil, errors.New("nodelifecycle controller: client and informers are required")
	}
	c := &Controller{
		log: o.Log, client: o.Client, clock: o.Clock, grace: o.GracePeriod, startup: o.StartupGracePeriod,
		period: o.MonitorPeriod, cfg: o.Eviction,
		nodes: o.Nodes.Lister(), leases: o.Leases.Lister(), pods: o.Pods.Lister(),
		synced: []cache.InformerSynced{o.Nodes.Informer().HasSynced, o.Pods.Informer().HasSynced, o.Leases.Informer().HasSynced},
	}
	c.defaults()
	c.nodeEvents, c.taintEvent, c.stopEvents = recorders(o.Client, o.Recorder)
	if err := o.Pods.Informer().AddIndexers(cache.Indexers{podNodeIndex: indexByNode}); err != nil {
		return nil, fmt.Errorf("index pods by node: %w", err)
	}
	c.podIndex = o.Pods.Informer().GetIndexer()
	c.monitor = newMonitorState()
	c.evictor = &evictor{
		c:     c,
		since: map[string]time.Time{}, evicted: map[string]types.UID{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodelifecycle_taint_eviction", Clock: c.clock}),
	}
	if _, err := o.Pods.Informer().AddEventHandler(c.evictor.podHandler()); err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	if _, err := o.Nodes.Informer().AddEventHandler(c.evictor.nodeHandler()); err != nil {
		return nil, fmt.Errorf("watch nodes: %w", err)
	}
	return c, nil
}

func (c *Controller) defaults() {
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.grace <= 0 {
		c.grace = DefaultGracePeriod
	}
	if c.startup <= 0 {
		c.startup = DefaultStartupGracePeriod
	}
	if c.period <= 0 {
		c.period = DefaultMonitorPeriod
	}
	if c.cfg == (EvictionConfig{}) {
		c.cfg = DefaultEvictionConfig()
	}
}

func indexByNode(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return nil, nil
	}
	return []string{pod.Spec.NodeName}, nil
}

// podsOnNode returns the cached pods bound to node; callers must not
// modify them.
func (c *Controller) podsOnNode(node string) []*corev1.Pod {
	objs, err := c.podIndex.ByIndex(podNodeIndex, node)
	if err != nil {
		return nil
	}
	out := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			out = append(out, p)
		}
	}
	return out
}

// Run monitors node health every monitor period and runs workers taint
// eviction workers until ctx ends. The informers must be started by the
// caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer c.stopEvents()
	defer c.evictor.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return nil
	}
	for range workers {
		go c.evictor.work(ctx)
	}
	ticker := c.clock.NewTicker(c.period)
	defer ticker.Stop()
	for {
		c.monitorPass(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
		}
	}
}
