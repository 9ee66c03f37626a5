// Package statefulset is the StatefulSet controller: it keeps pods with
// stable identities `<set>-<ordinal>` (hostname, subdomain = serviceName,
// pod-name and pod-index labels) and one PersistentVolumeClaim per volume
// claim template and ordinal, creates them in order waiting for each to be
// Running and Ready (OrderedReady) or all at once (Parallel), removes them
// in reverse, rolls them to new templates (RollingUpdate with partition and
// maxUnavailable, or OnDelete), records template history as
// ControllerRevisions (currentRevision/updateRevision) and applies the PVC
// retention policy through ownerReferences on the claims.
//
// What to do next is decided by a pure function over a snapshot
// (plan.go: Plan and Status); controller.go and sync.go are the client-go
// shell that executes one plan per sync. It must not bind pods, delete
// PVCs itself (the garbage collector does, following ownerReferences), or
// touch pods and claims it does not own.
package statefulset
