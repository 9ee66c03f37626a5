// Package dns is Capstan's cluster DNS server. It answers names in the
// cluster domain (by default cluster.local) the way the Kubernetes DNS
// specification and CoreDNS's kubernetes plugin do — Services, headless
// Service endpoints, SRV records for named ports, "pods insecure" pod records
// and PTR records — from Service and EndpointSlice informers, and forwards
// every other query to the node's upstream resolvers.
//
// The decision of what a query answers is a plain function over a read-only
// Catalog (see Zone and Resolver); goroutines, sockets and informers live in
// Server only.
//
// This package must not write to the API (apart from the EnsureService
// helper, which the server calls once at start), must not read etcd or import
// internal/storage, and must not mutate objects returned by the informer
// caches.
package dns
