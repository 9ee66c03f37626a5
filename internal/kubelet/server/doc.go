// Package server is the kubelet's HTTPS API: container logs, exec, attach
// and port-forward for the pods of one node, plus /healthz.
//
// Logs are read from the CRI log files; exec, attach and port-forward ask the
// container runtime for a streaming URL and proxy the client's upgraded
// connection (SPDY or WebSocket) to it unchanged. Only callers the Authorize
// hook admits (the API server) get in. The package must not talk to the API
// server or start containers: it serves what the runtime already has.
package server
