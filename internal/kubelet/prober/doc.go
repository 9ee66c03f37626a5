// Package prober runs the liveness, readiness and startup probes of the
// containers the kubelet runs, with upstream semantics: exec (through CRI
// ExecSync), httpGet, tcpSocket and grpc probes; one worker per container
// and probe kind honouring initialDelaySeconds, periodSeconds,
// timeoutSeconds, successThreshold and failureThreshold; the startup probe
// gating the other two; Unhealthy events with upstream messages.
//
// The Manager keeps the latest result per container ID and kind, answers
// Ready and Started, and sends an Update when a result changes. It must not
// kill or restart containers (the kubelet does, on a liveness or startup
// Failure), must not write pod status to the API server, and must not sleep:
// all timing goes through the injected clock.
package prober
