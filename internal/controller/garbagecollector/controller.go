package garbagecollector

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Options configures a Controller.
type Options struct {
	Log       *slog.Logger
	Metadata  metadata.Interface
	Informers metadatainformer.SharedInformerFactory
	Discovery discovery.DiscoveryInterface
	// DiscoveryPeriod is how often discovery is read again to watch new
	// resources; 30s when zero, as upstream.
	DiscoveryPeriod time.Duration
}

// Controller is the garbage collector.
type Controller struct {
	log     *slog.Logger
	meta    metadata.Interface
	factory metadatainformer.SharedInformerFactory
	disc    discovery.DiscoveryInterface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	period  time.Duration
	graph   *graph
	queue   workqueue.TypedRateLimitingInterface[types.UID]

	mu      sync.Mutex
	watched map[schema.GroupVersionResource]cache.SharedIndexInformer
}

// New builds a garbage collector; Run starts it.
func New(o Options) *Controller {
	period := o.DiscoveryPeriod
	if period == 0 {
		period = 30 * time.Second
	}
	return &Controller{
		log:     o.Log,
		meta:    o.Metadata,
		factory: o.Informers,
		disc:    o.Discovery,
		mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(o.Discovery)),
		period:  period,
		graph:   newGraph(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[types.UID](),
			workqueue.TypedRateLimitingQueueConfig[types.UID]{Name: "garbage_collector_attempt_to_delete"}),
		watched: map[schema.GroupVersionResource]cache.SharedIndexInformer{},
	}
}

// Run watches every deletable resource and processes the graph with
// workers goroutines until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer c.queue.ShutDown()
	if err := c.syncMonitors(ctx); err != nil {
		c.log.Warn("initial discovery incomplete", "err", err)
	}
	for i := 0; i < workers; i++ {
		go c.worker(ctx)
	}
	t := time.NewTicker(c.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := c.syncMonitors(ctx); err != nil {
				c.log.Warn("discovery refresh incomplete", "err", err)
			}
		}
	}
}

func (c *Controller) worker(ctx context.Context) {
	for {
		uid, quit := c.queue.Get()
		if quit {
			return
		}
		err := c.process(ctx, uid)
		switch {
		case err == nil:
			c.queue.Forget(uid)
		case ctx.Err() != nil:
		default:
			c.log.Info("garbage collection retry", "uid", uid, "err", err)
			c.queue.AddRateLimited(uid)
		}
		c.queue.Done(uid)
	}
}

// getLive reads the graph node uid from the API. live is nil when the node
// is unknown, the object is gone, or its name now holds another object.
func (c *Controller) getLive(ctx context.Context, uid types.UID) (node, *metav1.PartialObjectMetadata, error) {
	n, ok := c.graph.get(uid)
	if !ok {
		return n, nil, nil
	}
	live, err := c.resource(n.gvr, n.namespace).Get(ctx, n.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return n, nil, nil
	}
	if err != nil {
		return n, nil, fmt.Errorf("get %s %s/%s: %w", n.gvr.Resource, n.namespace, n.name, err)
	}
	if live.UID != uid {
		return n, nil, nil
	}
	return n, live, nil
}

// process is the level-triggered sync of one object, read live.
func (c *Controller) process(ctx context.Context, uid types.UID) error {
	n, live, err := c.getLive(ctx, uid)
	if err != nil || live == nil {
		return err
	}
	if live.DeletionTimestamp != nil {
		f := live.Finalizers
		if slices.Contains(f, metav1.FinalizerOrphanDependents) || slices.Contains(f, metav1.FinalizerDeleteDependents) {
			return c.processOwner(ctx, n, live)
		}
	}
	return c.processDependent(ctx, n, live)
}

func (c *Controller) processOwner(ctx context.Context, n node, live *metav1.PartialObjectMetadata) error {
	plan := DecideDeletingOwner(true, live.Finalizers, c.graph.dependentsOf(live.UID))
	for _, dep := range plan.Orphan {
		if err := c.orphan(ctx, dep, live.UID); err != nil {
			return err
		}
	}
	for _, dep := range plan.Delete {
		c.queue.Add(dep)
	}
	if plan.RemoveFinalizer == "" {
		return nil
	}
	keep := slices.DeleteFunc(slices.Clone(live.Finalizers), func(f string) bool { return f == plan.RemoveFinalizer })
	return c.patchList(ctx, n, live.ResourceVersion, "/metadata/finalizers", keep)
}

// orphan drops the references to owner from the dependent dep.
func (c *Controller) orphan(ctx context.Context, dep, owner types.UID) error {
	n, live, err := c.getLive(ctx, dep)
	if err != nil || live == nil {
		return err
	}
	keep := withoutOwners(live.OwnerReferences, []types.UID{owner})
	if len(keep) == len(live.OwnerReferences) {
		return nil
	}
	return c.patchList(ctx, n, live.ResourceVersion, "/metadata/ownerReferences", keep)
}

func (c *Controller) processDependent(ctx context.Context, n node, live *metav1.PartialObjectMetadata) error {
	if len(live.OwnerReferences) == 0 {
		return nil
	}
	states := map[types.UID]OwnerState{}
	for _, ref := range live.OwnerReferences {
		st, err := c.ownerState(ctx, ref, live.Namespace)
		if err != nil {
			return err
		}
		states[ref.UID] = st
	}
	d := Dependent{
		Owners:                       live.OwnerReferences,
		Finalizers:                   live.Finalizers,
		Deleting:                     live.DeletionTimestamp != nil,
		HasDependents:                len(c.graph.dependentsOf(live.UID)) > 0,
		DependentsDeletingDependents: c.graph.deletingDependents(live.UID),
	}
	plan := DecideDependent(d, states)
	log := c.log.With("resource", n.gvr.Resource, "namespace", n.namespace, "name", n.name)
	switch plan.Op {
	case OpRemoveOwnerRefs:
		log.Info("removing owner references", "owners", plan.RemoveUIDs)
		return c.patchList(ctx, n, live.ResourceVersion, "/metadata/ownerReferences", withoutOwners(live.OwnerReferences, plan.RemoveUIDs))
	case OpDelete:
		if len(plan.RemoveUIDs) > 0 {
			refs := unblocked(live.OwnerReferences, plan.RemoveUIDs)
			if err := c.patchList(ctx, n, live.ResourceVersion, "/metadata/ownerReferences", refs); err != nil {
				return err
			}
		}
		log.Info("deleting dependent", "propagationPolicy", plan.Policy)
		policy := plan.Policy
		uid := live.UID
		err := c.resource(n.gvr, n.namespace).Delete(ctx, n.name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &policy})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete %s %s/%s: %w", n.gvr.Resource, n.namespace, n.name, err)
		}
	}
	return nil
}

// ownerState finds what ref points to: the graph first, and for an owner
// the graph does not hold, a live read, so that only a confirmed absence
// makes a reference dangling.
func (c *Controller) ownerState(ctx context.Context, ref metav1.OwnerReference, namespace string) (OwnerState, error) {
	if o, ok := c.graph.get(ref.UID); ok {
		return StateOf(o.deleting, o.finalizers), nil
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return OwnerDangling, nil
	}
	mapping, err := c.mapper.RESTMapping(gv.WithKind(ref.Kind).GroupKind(), gv.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
	}
	if err != nil {
		return OwnerSolid, fmt.Errorf("resolve owner kind %s %s: %w", ref.APIVersion, ref.Kind, err)
	}
	ns := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if namespace == "" {
			return OwnerDangling, nil // a cluster-scoped object cannot have a namespaced owner
		}
		ns = namespace
	}
	o, err := c.resource(mapping.Resource, ns).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return OwnerDangling, nil
	case err != nil:
		return OwnerSolid, fmt.Errorf("get owner %s %s: %w", ref.Kind, ref.Name, err)
	case o.UID != ref.UID:
		return OwnerDangling, nil
	}
	return StateOf(o.DeletionTimestamp != nil, o.Finalizers), nil
}

func (c *Controller) resource(gvr schema.GroupVersionResource, namespace string) metadata.ResourceInterface {
	if namespace == "" {
		return c.meta.Resource(gvr)
	}
	return c.meta.Resource(gvr).Namespace(namespace)
}

func withoutOwners(refs []metav1.OwnerReference, uids []types.UID) []metav1.OwnerReference {
	return slices.DeleteFunc(slices.Clone(refs), func(r metav1.OwnerReference) bool { return slices.Contains(uids, r.UID) })
}

// unblocked clears blockOwnerDeletion on the references to uids, so that a
// cycle of foreground deletions cannot wait on itself.
func unblocked(refs []metav1.OwnerReference, uids []types.UID) []metav1.OwnerReference {
	out := make([]metav1.OwnerReference, len(refs))
	for i, r := range refs {
		out[i] = *r.DeepCopy()
		if slices.Contains(uids, r.UID) {
			f := false
			out[i].BlockOwnerDeletion = &f
		}
	}
	return out
}
