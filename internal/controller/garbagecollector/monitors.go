package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/cache"
)

// collectable reports whether the collector watches a resource: it must
// support delete, list and watch, and events are left to their TTL, as
// upstream.
func collectable(gvr schema.GroupVersionResource) bool {
	return gvr.Resource != "events" || (gvr.Group != "" && gvr.Group != "events.k8s.io")
}

// syncMonitors starts a metadata informer for every collectable resource
// not yet watched and waits for the new ones to fill their caches. A
// partial discovery failure still watches what was found, and is returned.
func (c *Controller) syncMonitors(ctx context.Context) error {
	lists, derr := discovery.ServerPreferredResources(c.disc)
	if derr != nil && len(lists) == 0 {
		return fmt.Errorf("discover resources: %w", derr)
	}
	lists = discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete", "list", "watch"}}, lists)
	gvrs, err := discovery.GroupVersionResources(lists)
	if err != nil {
		return fmt.Errorf("parse discovered resources: %w", err)
	}
	var started []cache.InformerSynced
	c.mu.Lock()
	for gvr := range gvrs {
		if _, ok := c.watched[gvr]; ok || !collectable(gvr) {
			continue
		}
		inf := c.factory.ForResource(gvr).Informer()
		if _, err := inf.AddEventHandler(c.handler(gvr)); err != nil {
			c.mu.Unlock()
			return fmt.Errorf("watch %s: %w", gvr, err)
		}
		c.watched[gvr] = inf
		started = append(started, inf.HasSynced)
	}
	c.mu.Unlock()
	if len(started) > 0 {
		c.mapper.Reset()
		c.factory.Start(ctx.Done())
		if !cache.WaitForCacheSync(ctx.Done(), started...) {
			return fmt.Errorf("wait for informer caches: %w", ctx.Err())
		}
		c.log.Info("watching resources", "new", len(started))
	}
	if derr != nil {
		return fmt.Errorf("discover resources: %w", derr)
	}
	return nil
}

func (c *Controller) handler(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.observe(gvr, obj) },
		UpdateFunc: func(_, obj any) { c.observe(gvr, obj) },
		DeleteFunc: func(obj any) { c.forget(obj) },
	}
}

// observe records an added or updated object and queues what may need work:
// the object itself when its owners or deletion state changed, and owners
// it no longer references (a foreground owner may be waiting for that).
func (c *Controller) observe(gvr schema.GroupVersionResource, obj any) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	n := node{
		gvr: gvr, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID(),
		owners:     slices.Clone(m.GetOwnerReferences()),
		finalizers: slices.Clone(m.GetFinalizers()),
		deleting:   m.GetDeletionTimestamp() != nil,
	}
	old, had := c.graph.upsert(n)
	changed := !had || n.deleting != old.deleting || !slices.Equal(n.finalizers, old.finalizers) ||
		!slices.EqualFunc(n.owners, old.owners, sameRef)
	if changed && (len(n.owners) > 0 || n.deleting) {
		c.queue.Add(n.uid)
	}
	if !had {
		return
	}
	for _, ref := range old.owners {
		if !slices.ContainsFunc(n.owners, func(r metav1.OwnerReference) bool { return sameRef(r, ref) }) {
			c.queue.Add(ref.UID)
		}
	}
}

func sameRef(a, b metav1.OwnerReference) bool {
	return a.UID == b.UID && ptrBool(a.BlockOwnerDeletion) == ptrBool(b.BlockOwnerDeletion)
}

func ptrBool(b *bool) bool { return b != nil && *b }

// forget removes a deleted object and queues its dependents (their owner is
// gone) and its owners (a foreground owner may have been waiting for it).
func (c *Controller) forget(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	old, _ := c.graph.remove(m.GetUID())
	for _, d := range c.graph.dependentsOf(m.GetUID()) {
		c.queue.Add(d.UID)
	}
	for _, ref := range old.owners {
		c.queue.Add(ref.UID)
	}
}

// patchList replaces a list in metadata with a JSON patch guarded by the
// resourceVersion that was read, so a concurrent change makes it fail and
// the item is retried against fresh state.
func (c *Controller) patchList(ctx context.Context, n node, resourceVersion, path string, value any) error {
	ops := []map[string]any{{"op": "test", "path": "/metadata/resourceVersion", "value": resourceVersion}}
	if v, ok := value.([]string); ok && len(v) == 0 {
		ops = append(ops, map[string]any{"op": "remove", "path": path})
	} else if v, ok := value.([]metav1.OwnerReference); ok && len(v) == 0 {
		ops = append(ops, map[string]any{"op": "remove", "path": path})
	} else {
		ops = append(ops, map[string]any{"op": "replace", "path": path, "value": value})
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return fmt.Errorf("encode patch: %w", err)
	}
	if _, err := c.resource(n.gvr, n.namespace).Patch(ctx, n.name, types.JSONPatchType, body, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("patch %s of %s %s/%s: %w", path, n.gvr.Resource, n.namespace, n.name, err)
	}
	return nil
}
