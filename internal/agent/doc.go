// Package agent composes the node role: it obtains the node's credentials
// (issued by the local CA inside `capstan server`, or through TLS bootstrap
// with a join token for `capstan agent`), supervises containerd, and runs the
// kubelet and its HTTPS API for one node.
//
// It is wiring: the pieces live in internal/kubelet/... and
// internal/agent/containerd. Like every component but the API server, it
// talks to the cluster only through the API.
package agent
