// Package endpointstest holds the integration-test fixtures shared by the
// endpoints, endpointslice and endpointslicemirroring controller tests: a
// real API server with a running controller, pods that play the kubelet
// (IP and readiness set through UpdateStatus), and polling. It is for tests
// only and must not be imported by production code.
package endpointstest
