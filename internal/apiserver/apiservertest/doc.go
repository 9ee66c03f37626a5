// Package apiservertest starts a real API server over a temporary embedded
// etcd for tests, and hands back client-go configuration for it. Requests
// are authenticated as a cluster admin without TLS.
package apiservertest
