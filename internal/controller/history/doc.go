// Package history holds the ControllerRevision helpers shared by the
// DaemonSet and StatefulSet controllers: the revision data (a strategic
// merge patch that replaces spec.template, which is what `kubectl rollout
// undo` applies), hashing and naming, equality, numbering, truncation to
// revisionHistoryLimit, creation with hash-collision handling, and the
// ownership rules (adopt, release) that both controllers apply to the pods
// and revisions they select.
//
// Decisions are pure functions over slices the caller owns; only Client
// talks to the API. It must not hold controller state, watch anything, or
// know about DaemonSet or StatefulSet specifics beyond the pod template.
package history
