package disruption

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	policyinformers "k8s.io/client-go/informers/policy/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log                    *slog.Logger
	Client                 kubernetes.Interface
	Pods                   coreinformers.PodInformer
	PDBs                   policyinformers.PodDisruptionBudgetInformer
	ReplicaSets            appsinformers.ReplicaSetInformer
	Deployments            appsinformers.DeploymentInformer
	StatefulSets           appsinformers.StatefulSetInformer
	ReplicationControllers coreinformers.ReplicationControllerInformer
	// Recorder records events; nil builds a broadcaster to core/v1 Events
	// with the upstream component name "controllermanager".
	Recorder record.EventRecorder
	Clock    clock.WithTicker // nil: the real clock
}

// Controller is the disruption controller.
type Controller struct {
	log        *slog.Logger
	client     kubernetes.Interface
	pods       corelisters.PodLister
	pdbs       policylisters.PodDisruptionBudgetLister
	scales     scaleSource
	synced     []cache.InformerSynced
	recorder   record.EventRecorder
	stopEvents func()
	clock      clock.WithTicker
	queue      workqueue.TypedRateLimitingInterface[string] // PDB keys
	stale      workqueue.TypedRateLimitingInterface[string] // pod keys with a DisruptionTarget condition
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Pods == nil || o.PDBs == nil || o.ReplicaSets == nil || o.Deployments == nil ||
		o.StatefulSets == nil || o.ReplicationControllers == nil {
		return nil, errors.New("disruption controller: client and informers are required")
	}
	c := &Controller{
		log: o.Log, client: o.Client, clock: o.Clock, recorder: o.Recorder, stopEvents: func() {},
		pods: o.Pods.Lister(), pdbs: o.PDBs.Lister(),
		scales: scaleSource{rs: o.ReplicaSets.Lister(), dep: o.Deployments.Lister(), ss: o.StatefulSets.Lister(), rc: o.ReplicationControllers.Lister()},
		synced: []cache.InformerSynced{o.Pods.Informer().HasSynced, o.PDBs.Informer().HasSynced, o.ReplicaSets.Informer().HasSynced,
			o.Deployments.Informer().HasSynced, o.StatefulSets.Informer().HasSynced, o.ReplicationControllers.Informer().HasSynced},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.recorder == nil {
		b := record.NewBroadcaster()
		b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: o.Client.CoreV1().Events("")})
		c.recorder = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "controllermanager"})
		c.stopEvents = b.Shutdown
	}
	newQueue := func(name string) workqueue.TypedRateLimitingInterface[string] {
		return workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 5*time.Minute),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: name, Clock: c.clock})
	}
	c.queue, c.stale = newQueue("disruption"), newQueue("disruption_recheck_stale_pod")
	if _, err := o.PDBs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueuePDB,
		UpdateFunc: func(_, obj any) { c.enqueuePDB(obj) },
		DeleteFunc: c.enqueuePDB,
	}); err != nil {
		return nil, fmt.Errorf("watch poddisruptionbudgets: %w", err)
	}
	if _, err := o.Pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podChanged,
		UpdateFunc: func(_, obj any) { c.podChanged(obj) },
		DeleteFunc: c.podChanged,
	}); err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	return c, nil
}

func (c *Controller) enqueuePDB(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err == nil {
		c.queue.Add(key)
	}
}

// podChanged queues the budgets selecting the pod and, when it carries a
// DisruptionTarget condition, the stale-condition check.
func (c *Controller) podChanged(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	pdbs, _ := c.pdbs.GetPodPodDisruptionBudgets(pod)
	for _, pdb := range pdbs {
		c.enqueuePDB(pdb)
	}
	if cond := disruptionTarget(pod); cond != nil && pod.DeletionTimestamp == nil {
		key := pod.Namespace + "/" + pod.Name
		if wait := StaleAfter(cond, c.clock.Now()); wait > 0 {
			c.stale.AddAfter(key, wait)
		} else {
			c.stale.Add(key)
		}
	}
}

// Run syncs budgets with workers goroutines (and one stale-condition
// worker) until ctx ends. The informers must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer c.stopEvents()
	defer c.stale.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		c.queue.ShutDown()
		return nil
	}
	go worker.Process(ctx, c.stale, c.log, c.syncStale)
	return worker.Run(ctx, c.queue, workers, nil, c.log, c.sync)
}

// sync recomputes one budget's status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pdb, err := c.pdbs.PodDisruptionBudgets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get pdb %s: %w", key, err)
	}
	now := c.clock.Now()
	st, recheck, err := c.compute(pdb, now)
	if err != nil {
		c.log.Info("pdb sync failed", "pdb", key, "err", err)
		if werr := c.writeStatus(ctx, pdb, FailedStatus(pdb, err, now)); werr != nil {
			return werr
		}
		return err
	}
	if !recheck.IsZero() {
		c.queue.AddAfter(key, recheck.Sub(now))
	}
	return c.writeStatus(ctx, pdb, st)
}

// compute derives a budget's status from the caches, recording the events
// upstream records on the way.
func (c *Controller) compute(pdb *policyv1.PodDisruptionBudget, now time.Time) (policyv1.PodDisruptionBudgetStatus, time.Time, error) {
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		c.recorder.Eventf(pdb, corev1.EventTypeWarning, "NoPods", "Failed to get pods: %v", err)
		return policyv1.PodDisruptionBudgetStatus{}, time.Time{}, fmt.Errorf("selector: %w", err)
	}
	pods, err := c.pods.Pods(pdb.Namespace).List(sel)
	if err != nil {
		return policyv1.PodDisruptionBudgetStatus{}, time.Time{}, fmt.Errorf("list pods: %w", err)
	}
	if len(pods) == 0 {
		c.recorder.Event(pdb, corev1.EventTypeNormal, "NoPods", "No matching pods found")
	}
	var scale int32
	if NeedsScale(pdb) {
		var unmanaged []string
		scale, unmanaged, err = c.scales.expected(pods)
		if err != nil {
			c.recorder.Eventf(pdb, corev1.EventTypeWarning, "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods: %v", err)
			return policyv1.PodDisruptionBudgetStatus{}, time.Time{}, err
		}
		if len(unmanaged) > 0 {
			c.recorder.Eventf(pdb, corev1.EventTypeWarning, "UnmanagedPods", "Pods selected by this PodDisruptionBudget (selector: %v) were found "+
				"to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. "+
				"To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.", pdb.Spec.Selector)
		}
	}
	expected, desired, err := Desired(pdb, len(pods), scale)
	if err != nil {
		return policyv1.PodDisruptionBudgetStatus{}, time.Time{}, err
	}
	disrupted, recheck := Disrupted(pdb.Status.DisruptedPods, pods, now)
	healthy := CountHealthy(pods, disrupted)
	return Status(pdb, expected, desired, healthy, disrupted, now), recheck, nil
}

// writeStatus writes st when it differs from the budget's status.
func (c *Controller) writeStatus(ctx context.Context, pdb *policyv1.PodDisruptionBudget, st policyv1.PodDisruptionBudgetStatus) error {
	if equality.Semantic.DeepEqual(pdb.Status, st) {
		return nil
	}
	next := pdb.DeepCopy()
	next.Status = st
	_, err := c.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update status of pdb %s/%s: %w", pdb.Namespace, pdb.Name, err)
	}
	return nil
}
