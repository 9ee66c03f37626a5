// Package agent composes the node role: it obtains the node's credentials
// and the service proxy's own (system:kube-proxy; issued by the local CA
// inside `capstan server`, or through TLS bootstrap with a join token for
// `capstan agent`), supervises containerd, and runs the kubelet and its
// HTTPS API for one node. The service proxy must not run as the node.
//
// It is wiring: the pieces live in internal/kubelet/... and
// internal/agent/containerd. Like every component but the API server, it
// talks to the cluster only through the API.
//
// It also keeps the `capstan agent` process small: API group clients are
// built on first use (lazyClientset), and MemoryPolicy is the agent's Go
// runtime setting. It must not change process-wide runtime settings by
// itself: only main applies a MemoryPolicy, and never for `capstan server`.
package agent
