// Package discovery defaults and validates the kinds of the discovery.k8s.io
// API group (EndpointSlice).
//
// It validates spec-like fields only (ObjectMeta is checked by package apis),
// must not mutate its input outside Default* functions and must not read or
// write storage.
package discovery
