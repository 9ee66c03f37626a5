// Package nodestatus registers the kubelet's Node object, keeps its status
// (addresses, capacity and allocatable, node info, images, conditions)
// current, and renews the node's Lease in kube-node-lease, as upstream's
// kubelet does: status is patched when it changes and at least every five
// minutes, the Lease every ten seconds.
//
// The status is computed by pure functions over a snapshot of machine facts
// (MachineInfo) and runtime answers; Run is the thin loop around them. It
// must not run pods, decide readiness on its own (the kubelet passes a
// ReadyFunc) or touch any object other than its Node and Lease.
package nodestatus
