// Package deployment is the Deployment controller: it rolls a Deployment's
// pod template out through ReplicaSets named "<deployment>-<pod-template-hash>"
// with the RollingUpdate (maxSurge/maxUnavailable) or Recreate strategy,
// scales them proportionally when the Deployment is resized mid-rollout,
// keeps revision annotations and revisionHistoryLimit, and reports the
// upstream status and Progressing/Available/ReplicaFailure conditions.
//
// The arithmetic — how far the new ReplicaSet may grow, how far old ones may
// shrink, proportional scaling, conditions, which old ReplicaSets to delete —
// is pure functions over copies of ReplicaSets with a scaling callback
// (rolling.go, scale.go, status.go, revision.go). controller.go and sync.go
// are the client-go shell around them.
//
// It must not create or delete pods (that is the ReplicaSet controller's
// job), must not mutate objects returned by listers, and must not read
// storage directly.
package deployment
