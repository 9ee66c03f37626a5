// Package containerd supervises the containerd daemon a Capstan node agent
// runs its pods on: it writes containerd's configuration (own socket, root,
// state, runc root, CNI and registry directories under the agent's data dir,
// so several agents can share one machine), starts containerd as a child in
// its own process group, waits until the CRI Version call answers, restarts
// it with back-off when it dies, and stops it by PID. It also writes the
// default CNI network configuration.
//
// It must not talk CRI beyond the readiness check (that is package
// internal/kubelet/cri), must not manage pods or images, and must never kill
// processes by name: only the PID it started.
package containerd
