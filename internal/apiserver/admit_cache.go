package apiserver

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/storage"
)

// cachedLookup serves the admission plugins' reads of the resources they
// read on nearly every create (namespaces, ServiceAccounts, LimitRanges,
// ResourceQuotas, PriorityClasses) from the watch cache, as upstream's
// plugins read informers; other resources and every case the cache cannot
// answer go to the store (storeLookup).
//
// Freshness: a read waits until the cache has seen the newest write this
// server made to the resource (see watchCaches.noteWrite), so a client that
// created a namespace, ServiceAccount, quota or LimitRange and then a pod
// finds it; writes through another API server are seen once the watch
// delivers them, as with upstream's informers. A Get the cache cannot
// answer (an object created a moment ago elsewhere) falls back to the
// store. ResourceQuota stays race-free without a fresh read: the plugin's
// status write succeeds only at the quota's current resourceVersion, and a
// conflicting write makes the next read wait for that version (see
// UpdateQuotaStatus).
type cachedLookup struct{ storeLookup }

var _ admission.Lookup = cachedLookup{}

// readByAdmission reports whether admission reads gvr (a stored resource)
// from the watch cache.
func readByAdmission(gvr schema.GroupVersionResource) bool {
	switch gvr {
	case corev1.SchemeGroupVersion.WithResource("namespaces"),
		corev1.SchemeGroupVersion.WithResource("serviceaccounts"),
		corev1.SchemeGroupVersion.WithResource("limitranges"),
		corev1.SchemeGroupVersion.WithResource("resourcequotas"),
		schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"):
		return true
	}
	return false
}

// cachedList lists res under key from its watch cache once the cache has
// this server's newest write of it; ok is false when the cache cannot
// answer (not cached, not loaded yet, or not caught up within the
// cacher's wait), and the caller reads the store instead.
func (l cachedLookup) cachedList(ctx context.Context, res *Resource, key string, filter storage.Filter) (items []runtime.Object, ok bool) {
	st := res.stored()
	if !readByAdmission(st.GVR()) {
		return nil, false
	}
	prefix := st.storagePrefix()
	c := l.s.caches.loaded(prefix)
	if c == nil {
		return nil, false
	}
	out, err := c.List(ctx, key, storage.ListOptions{Revision: l.s.caches.written(prefix), Filter: filter})
	if err != nil {
		l.s.log.Debug("admission lookup falls back to the store", "key", key, "err", err)
		return nil, false
	}
	return out.Items, true
}

// owned converts a cached object to res's version and copies it: cached
// objects are shared, and Lookup's objects belong to the caller.
func owned(res *Resource, obj runtime.Object) (runtime.Object, error) {
	p, err := res.present(obj)
	if err != nil {
		return nil, err
	}
	if p == obj {
		p = obj.DeepCopyObject()
	}
	return p, nil
}

// Get implements admission.Lookup: the cached object, else the store's.
func (l cachedLookup) Get(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error) {
	res, err := l.resource(gvr)
	if err != nil {
		return nil, err
	}
	named := func(o runtime.Object) bool { return metaOf(o).GetName() == name }
	if items, ok := l.cachedList(ctx, res, res.key(namespace, name), named); ok && len(items) == 1 {
		return owned(res, items[0])
	}
	return l.storeLookup.Get(ctx, gvr, namespace, name)
}

// List implements admission.Lookup.
func (l cachedLookup) List(ctx context.Context, gvr schema.GroupVersionResource, namespace string) ([]runtime.Object, error) {
	res, err := l.resource(gvr)
	if err != nil {
		return nil, err
	}
	items, ok := l.cachedList(ctx, res, res.collectionKey(namespace), nil)
	if !ok {
		return l.storeLookup.List(ctx, gvr, namespace)
	}
	out := make([]runtime.Object, 0, len(items))
	for _, o := range items {
		p, err := owned(res, o)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// noteWrite records that obj, as the store returned it after a write of
// res (create, update or delete), is the newest version this server wrote,
// so admission's cached reads of res wait for it.
func (s *Server) noteWrite(res *Resource, obj runtime.Object) {
	st := res.stored()
	if obj == nil || !readByAdmission(st.GVR()) {
		return
	}
	if rv, err := strconv.ParseInt(metaOf(obj).GetResourceVersion(), 10, 64); err == nil {
		s.caches.noteWrite(st.storagePrefix(), rv)
	}
}
