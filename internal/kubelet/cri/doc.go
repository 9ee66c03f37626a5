// Package cri connects the kubelet to a container runtime over CRI, using the
// upstream gRPC clients of k8s.io/cri-client. Consumers depend only on the
// interfaces internalapi.RuntimeService and internalapi.ImageManagerService
// (k8s.io/cri-api), so unit tests can use the upstream fakes.
//
// It must not hold kubelet logic (pods, images policy, retries beyond the
// connection check) and must not start or stop the runtime itself.
package cri
