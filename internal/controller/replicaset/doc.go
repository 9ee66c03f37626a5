// Package replicaset is the ReplicaSet controller, and through a thin
// adapter (replicationcontroller.go) the ReplicationController controller:
// it keeps spec.replicas pods from spec.template, adopts orphan pods that
// match the selector, releases owned pods that stop matching, and writes the
// upstream status (replicas, fullyLabeledReplicas, readyReplicas,
// availableReplicas, terminatingReplicas, observedGeneration and the
// ReplicaFailure condition).
//
// The decisions are pure functions over a snapshot: which pods to delete
// (rank.go), how many to create per batch (manage.go), what the status is
// (status.go) and whether a pod is to be adopted or released (claim.go).
// The controller (controller.go) is the client-go shell around them.
//
// It must not read storage directly, must not mutate objects returned by
// listers, and must not create pods while expectations from an earlier sync
// are still outstanding (a stale cache would double-create).
package replicaset
