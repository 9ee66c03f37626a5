package podgc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Defaults, as upstream.
const (
	DefaultTerminatedPodThreshold = 12500
	DefaultPeriod                 = 20 * time.Second
	DefaultQuarantine             = 40 * time.Second
)

// Condition written on pods of deleted nodes, as upstream.
const (
	reasonDeletionByPodGC  = "DeletionByPodGC"
	messageDeletionByPodGC = "PodGC: node no longer exists"
)

// Options configures a Controller.
type Options struct {
	Log    *slog.Logger
	Client kubernetes.Interface
	Pods   coreinformers.PodInformer
	Nodes  coreinformers.NodeInformer
	Clock  clock.WithTicker // nil: the real clock
	// TerminatedPodThreshold is how many terminated pods may exist; 0 means
	// DefaultTerminatedPodThreshold, negative disables that collection.
	TerminatedPodThreshold int
	Period                 time.Duration // 0: DefaultPeriod
	Quarantine             time.Duration // 0: DefaultQuarantine
}

// Controller is the pod garbage collector.
type Controller struct {
	log        *slog.Logger
	client     kubernetes.Interface
	pods       corelisters.PodLister
	nodes      corelisters.NodeLister
	synced     []cache.InformerSynced
	clock      clock.WithTicker
	threshold  int
	period     time.Duration
	wait       time.Duration
	mu         sync.Mutex // guards quarantine for tests peeking at it
	quarantine quarantine
}

// New builds the pod garbage collector.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Pods == nil || o.Nodes == nil {
		return nil, errors.New("podgc controller: client and informers are required")
	}
	c := &Controller{
		log: o.Log, client: o.Client, pods: o.Pods.Lister(), nodes: o.Nodes.Lister(),
		synced: []cache.InformerSynced{o.Pods.Informer().HasSynced, o.Nodes.Informer().HasSynced},
		clock:  o.Clock, threshold: o.TerminatedPodThreshold, period: o.Period, wait: o.Quarantine,
		quarantine: quarantine{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.threshold == 0 {
		c.threshold = DefaultTerminatedPodThreshold
	}
	if c.period <= 0 {
		c.period = DefaultPeriod
	}
	if c.wait <= 0 {
		c.wait = DefaultQuarantine
	}
	return c, nil
}

// Run collects at once and then every period until ctx ends, deleting with up to workers
// requests in flight. The informers must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return nil
	}
	workers = max(workers, 1)
	pass := func() {
		if err := c.gc(ctx, workers); err != nil && ctx.Err() == nil {
			c.log.Info("pod gc pass incomplete", "err", err)
		}
	}
	pass() // at once, then every period, as upstream
	ticker := c.clock.NewTicker(c.period)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
			pass()
		}
	}
}

// gc is one collection pass.
func (c *Controller) gc(ctx context.Context, workers int) error {
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	nodeList, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	nodes := make(map[string]*corev1.Node, len(nodeList))
	exists := make(map[string]bool, len(nodeList))
	for _, n := range nodeList {
		nodes[n.Name], exists[n.Name] = n, true
	}
	var errs []error
	if c.threshold > 0 {
		errs = append(errs, c.deleteAll(ctx, workers, "terminated", TerminatedToDelete(pods, c.threshold), nil))
	}
	errs = append(errs, c.deleteAll(ctx, workers, "terminating on out-of-service node", TerminatingOutOfService(pods, nodes), nil))
	gone, err := c.deletedNodes(ctx, MissingNodes(pods, exists))
	errs = append(errs, err)
	cond := &corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
		Reason: reasonDeletionByPodGC, Message: messageDeletionByPodGC}
	errs = append(errs, c.deleteAll(ctx, workers, "orphaned", OnNodes(pods, gone), cond))
	errs = append(errs, c.deleteAll(ctx, workers, "unscheduled terminating", UnscheduledTerminating(pods), nil))
	return errors.Join(errs...)
}

// deletedNodes passes the missing nodes through quarantine and confirms
// with a live GET that the due ones are gone.
func (c *Controller) deletedNodes(ctx context.Context, missing map[string]bool) (map[string]bool, error) {
	c.mu.Lock()
	due := c.quarantine.due(missing, c.clock.Now(), c.wait)
	c.mu.Unlock()
	gone := map[string]bool{}
	var errs []error
	for _, name := range due {
		_, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			gone[name] = true
		case err != nil:
			errs = append(errs, fmt.Errorf("get node %s: %w", name, err))
		default:
			c.mu.Lock()
			delete(c.quarantine, name)
			c.mu.Unlock()
		}
	}
	return gone, errors.Join(errs...)
}

func (c *Controller) quarantined(node string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.quarantine[node]
	return ok
}

// deleteAll force-deletes pods with up to workers requests in flight.
func (c *Controller) deleteAll(ctx context.Context, workers int, why string, pods []*corev1.Pod, cond *corev1.PodCondition) error {
	if len(pods) == 0 {
		return nil
	}
	c.log.Info("garbage collecting pods", "reason", why, "count", len(pods))
	errs := make([]error, len(pods))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, p := range pods {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = c.markFailedAndDelete(ctx, p, cond)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// markFailedAndDelete sets a non-terminal pod's phase to Failed (with cond
// when given) and deletes it with grace period 0, as upstream.
func (c *Controller) markFailedAndDelete(ctx context.Context, pod *corev1.Pod, cond *corev1.PodCondition) error {
	log := c.log.With("pod", pod.Namespace+"/"+pod.Name)
	if !Terminated(pod) {
		next := pod.DeepCopy()
		next.Status.Phase = corev1.PodFailed
		if cond != nil {
			cc := *cond
			cc.LastTransitionTime = metav1.NewTime(c.clock.Now())
			next.Status.Conditions = append(slices.DeleteFunc(next.Status.Conditions, func(pc corev1.PodCondition) bool {
				return pc.Type == cc.Type
			}), cc)
		}
		_, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark pod %s/%s failed: %w", pod.Namespace, pod.Name, err)
		}
	}
	uid := pod.UID
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: new(int64), Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	log.Info("deleted pod")
	return nil
}
