// Package daemonset is the DaemonSet controller: it keeps one pod of each
// DaemonSet on every node the pod template is eligible for (nodeSelector,
// required node affinity, taints against tolerations including the daemon
// tolerations upstream adds), rolls pods to new templates (RollingUpdate
// with maxUnavailable/maxSurge, or OnDelete), records template history as
// ControllerRevisions so `kubectl rollout history/undo` work, and writes
// the DaemonSet status.
//
// Pods are not bound by the controller: like upstream, each pod carries a
// required node affinity term `matchFields metadata.name In [node]` and the
// scheduler binds it. Decisions (eligibility, per-node actions, rolling
// update budgets, status) are pure functions in eligibility.go, plan.go and
// rollout.go; controller.go and sync.go are the client-go shell. It must not
// bind pods, read storage directly, or touch pods it does not control.
package daemonset
