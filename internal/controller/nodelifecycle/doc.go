// Package nodelifecycle is the node lifecycle controller. It watches Nodes
// and their Leases in kube-node-lease and
//
//   - marks a node whose kubelet stopped heartbeating for longer than the
//     grace period as Unknown (Ready, MemoryPressure, DiskPressure,
//     PIDPressure), records NodeNotReady and marks its pods not ready;
//   - keeps the condition-based NoSchedule taints (not-ready, unreachable,
//     memory/disk/pid-pressure, network-unavailable, unschedulable) in line
//     with the node's conditions;
//   - applies the NoExecute taints not-ready / unreachable, rate-limited per
//     zone by the zone's disruption state, and removes them on recovery;
//   - evicts pods from NoExecute-tainted nodes unless they tolerate the
//     taints, after the shortest tolerationSeconds (a timed queue).
//
// The decisions are pure functions (health.go, zone.go, taints.go,
// tolerations.go) over a snapshot and a time; the rest is the informer and
// workqueue shell. It must not touch taints other than the ones it owns,
// must not write node status other than the conditions it marks Unknown,
// and must not read storage directly: everything goes through the API.
package nodelifecycle
