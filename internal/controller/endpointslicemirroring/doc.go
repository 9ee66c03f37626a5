// Package endpointslicemirroring is the EndpointSlice mirroring controller:
// for a Service without a selector whose Endpoints object was written by
// someone else, it mirrors that Endpoints into discovery.k8s.io/v1
// EndpointSlices (labels kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io,
// the Endpoints' own labels and annotations, a controller ownerReference to
// the Endpoints), one address type per IP family seen, ready addresses
// ready and not-ready ones not, at most 1000 addresses per subset.
//
// Endpoints labeled endpointslice.kubernetes.io/skip-mirror=true (such as
// the API server's own "kubernetes" Endpoints), used as leader-election
// locks, or belonging to a Service with a selector (the EndpointSlice
// controller serves those) are not mirrored, and their mirrored slices are
// removed. The mapping (mirror.go) is a pure function; packing reuses
// endpointslice.PlanSlices; controller.go is the client-go shell. It must
// not write Endpoints, touch slices with another managed-by value, or read
// storage directly.
package endpointslicemirroring
