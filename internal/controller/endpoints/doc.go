// Package endpoints is the Endpoints controller: for every Service with a
// selector (and not of type ExternalName) it keeps a core/v1 Endpoints of the
// same name listing the Service's pods, grouped into subsets by port set,
// ready pods under addresses and the others under notReadyAddresses (all
// under addresses with publishNotReadyAddresses), with targetRef, nodeName
// and hostname, named targetPorts resolved per pod, the headless label, the
// last-change-trigger-time annotation, and at most 1000 addresses (the
// over-capacity annotation says when it truncated). When the Service goes
// away its Endpoints is deleted.
//
// The decision (subsets.go) is a pure function over the Service and its
// pods, reusing the pod rules of package endpointslice; controller.go and
// sync.go are the client-go shell. It must not touch the Endpoints of a
// Service without a selector (the API server's own "kubernetes" Endpoints
// and user-managed ones), must not write EndpointSlices, and must not read
// storage directly.
package endpoints
