// Package node validates node.k8s.io/v1 RuntimeClasses.
//
// It checks the handler, overhead and scheduling fields only (ObjectMeta is
// checked by package apis); it must not talk to a container runtime or read
// or write storage.
package node
