// Package etcd runs the embedded etcd member that stores the cluster state
// when no external etcd cluster is configured, and opens clients to either.
//
// Only the API server's storage layer uses these clients; no other component
// may import this package.
package etcd
