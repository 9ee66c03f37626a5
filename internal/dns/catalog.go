package dns

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Catalog is the read-only view of the cluster the Zone answers from.
// Implementations return objects owned by a cache: callers must not modify
// them. A nil object with a nil error means "not found". Errors are faults
// (a missing index), never "no such name".
type Catalog interface {
	// Service returns the Service namespace/name, or nil.
	Service(namespace, name string) (*corev1.Service, error)
	// NamespaceHasServices reports whether any Service lives in namespace.
	NamespaceHasServices(namespace string) (bool, error)
	// EndpointSlices returns the slices labelled for Service namespace/name.
	EndpointSlices(namespace, service string) ([]*discoveryv1.EndpointSlice, error)
	// ServicesByIP returns the Services having ip among their ClusterIPs.
	ServicesByIP(ip netip.Addr) ([]*corev1.Service, error)
	// EndpointSlicesByIP returns the slices with an endpoint address ip.
	EndpointSlicesByIP(ip netip.Addr) ([]*discoveryv1.EndpointSlice, error)
}

// Index names used by IndexerCatalog.
const (
	indexNamespace = cache.NamespaceIndex
	indexIP        = "dns.capstan.io/ip"
	indexService   = "dns.capstan.io/service"
)

// ServiceIndexers returns the indexers a Service cache.Indexer needs for
// IndexerCatalog.
func ServiceIndexers() cache.Indexers {
	return cache.Indexers{
		indexNamespace: cache.MetaNamespaceIndexFunc,
		indexIP: func(obj any) ([]string, error) {
			svc, ok := obj.(*corev1.Service)
			if !ok {
				return nil, fmt.Errorf("index service by ip: unexpected %T", obj)
			}
			var keys []string
			for _, s := range svc.Spec.ClusterIPs {
				if a, err := netip.ParseAddr(s); err == nil {
					keys = append(keys, a.Unmap().String())
				}
			}
			return keys, nil
		},
	}
}

// EndpointSliceIndexers returns the indexers an EndpointSlice
// cache.Indexer needs for IndexerCatalog.
func EndpointSliceIndexers() cache.Indexers {
	return cache.Indexers{
		indexService: func(obj any) ([]string, error) {
			es, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok {
				return nil, fmt.Errorf("index endpointslice by service: unexpected %T", obj)
			}
			name := es.Labels[discoveryv1.LabelServiceName]
			if name == "" {
				return nil, nil
			}
			return []string{es.Namespace + "/" + name}, nil
		},
		indexIP: func(obj any) ([]string, error) {
			es, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok {
				return nil, fmt.Errorf("index endpointslice by ip: unexpected %T", obj)
			}
			var keys []string
			for _, ep := range es.Endpoints {
				for _, s := range ep.Addresses {
					if a, err := netip.ParseAddr(s); err == nil {
						keys = append(keys, a.Unmap().String())
					}
				}
			}
			return keys, nil
		},
	}
}

// IndexerCatalog is a Catalog over informer caches built with
// ServiceIndexers and EndpointSliceIndexers.
type IndexerCatalog struct {
	ServiceCache       cache.Indexer
	EndpointSliceCache cache.Indexer
}

var _ Catalog = IndexerCatalog{}

// Service implements Catalog.
func (c IndexerCatalog) Service(namespace, name string) (*corev1.Service, error) {
	obj, ok, err := c.ServiceCache.GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return nil, err
	}
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("service cache holds %T", obj)
	}
	return svc, nil
}

// NamespaceHasServices implements Catalog.
func (c IndexerCatalog) NamespaceHasServices(namespace string) (bool, error) {
	keys, err := c.ServiceCache.IndexKeys(indexNamespace, namespace)
	if err != nil {
		return false, fmt.Errorf("services in namespace %s: %w", namespace, err)
	}
	return len(keys) > 0, nil
}

// EndpointSlices implements Catalog.
func (c IndexerCatalog) EndpointSlices(namespace, service string) ([]*discoveryv1.EndpointSlice, error) {
	objs, err := c.EndpointSliceCache.ByIndex(indexService, namespace+"/"+service)
	if err != nil {
		return nil, fmt.Errorf("endpointslices of %s/%s: %w", namespace, service, err)
	}
	return typed[*discoveryv1.EndpointSlice](objs)
}

// ServicesByIP implements Catalog.
func (c IndexerCatalog) ServicesByIP(ip netip.Addr) ([]*corev1.Service, error) {
	objs, err := c.ServiceCache.ByIndex(indexIP, ip.Unmap().String())
	if err != nil {
		return nil, fmt.Errorf("services with ip %s: %w", ip, err)
	}
	return typed[*corev1.Service](objs)
}

// EndpointSlicesByIP implements Catalog.
func (c IndexerCatalog) EndpointSlicesByIP(ip netip.Addr) ([]*discoveryv1.EndpointSlice, error) {
	objs, err := c.EndpointSliceCache.ByIndex(indexIP, ip.Unmap().String())
	if err != nil {
		return nil, fmt.Errorf("endpointslices with ip %s: %w", ip, err)
	}
	return typed[*discoveryv1.EndpointSlice](objs)
}

func typed[T any](objs []any) ([]T, error) {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		t, ok := o.(T)
		if !ok {
			return nil, fmt.Errorf("cache holds %T", o)
		}
		out = append(out, t)
	}
	return out, nil
}
