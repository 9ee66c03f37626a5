// Package apiservertest starts a real API server over a temporary embedded
// etcd for tests, and hands back client-go configuration for it. Requests
// are authenticated as a cluster admin without TLS. Clients made from a
// Server's Config share one HTTP transport whose pool keeps enough idle
// connections for concurrent tests and benchmarks; because it is a custom
// transport, copies of Config must not set TLS options (client-go refuses
// both together).
//
// It is for tests only: production code must not import it.
package apiservertest
