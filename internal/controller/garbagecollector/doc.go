// Package garbagecollector deletes objects whose owners are gone and carries
// out foreground and orphan deletion, following the upstream garbage
// collector's semantics for metadata.ownerReferences.
//
// The decisions (which owners of an object are solid, dangling or waiting
// for their dependents; what to do with a dependent; whether a deleting
// owner may lose its finalizer) are pure functions in decide.go. The graph of
// owner references is fed by metadata informers over every resource found in
// discovery, and a rate-limited workqueue of object UIDs runs the decisions
// against live reads from the API server.
//
// It must not read storage or etcd directly, must not mutate objects it gets
// from informer caches, and must never delete an object on the word of the
// cache alone: an owner is declared absent only after a live read.
package garbagecollector
