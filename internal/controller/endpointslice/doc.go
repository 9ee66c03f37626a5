// Package endpointslice is the EndpointSlice controller: for every Service
// with a selector (and not of type ExternalName) it keeps discovery.k8s.io/v1
// EndpointSlices (generateName "<service>-", labels
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by=
// endpointslice-controller.k8s.io, controller ownerReference to the
// Service) listing the Service's pods: one address type per Service IP
// family, at most 100 endpoints a slice, ready/serving/terminating
// conditions, nodeName, zone, hostname and targetRef, and ports resolved per
// pod (named targetPorts through the container ports).
//
// The decisions are pure functions: which pods count and how each becomes an
// endpoint (pod.go, desired.go), and how desired endpoints are packed into
// existing slices with little churn (plan.go, also used by the
// endpointslicemirroring controller). The pod helpers are also used by the
// endpoints controller. controller.go and sync.go are the client-go shell;
// tracker.go guards against acting on a stale informer cache.
//
// It must not touch slices managed by anyone else (other managed-by values,
// e.g. the API server's own "kubernetes" slice has no selector Service and
// is never synced here), must not write Endpoints, and must not read
// storage directly.
package endpointslice
