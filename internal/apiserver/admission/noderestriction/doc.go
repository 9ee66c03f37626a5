// Package noderestriction is upstream's NodeRestriction admission plugin:
// it limits what a kubelet identity (system:node:<name> in system:nodes)
// may write, beyond what the Node authorizer lets it ask for. A node may
// create and update only its own Node (without touching its taints or the
// restricted kubernetes.io / k8s.io / node-restriction.kubernetes.io
// labels), create only mirror pods bound to itself, update the status of
// and evict only pods bound to it, request tokens only for pods bound to
// it, touch only its own Lease in kube-node-lease and its own CSINode, and
// change nothing of a claim but its status.
//
// It decides from the request's objects and reads through
// admission.Lookup; it must not write anything, and it has no opinion on
// requests of any other user.
package noderestriction
