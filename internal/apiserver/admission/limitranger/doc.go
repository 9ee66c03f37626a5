// Package limitranger is the LimitRanger admission plugin: the LimitRanges
// of a namespace give new pods' containers default requests and limits
// (recorded in the kubernetes.io/limit-ranger annotation), and bound
// containers, whole pods and PersistentVolumeClaims by min, max and
// maxLimitRequestRatio. A violation is a 403 with upstream's messages.
//
// The decisions are plain functions over a pod (or claim) and the ranges;
// the plugin only reads the ranges through admission.Lookup. It must not
// touch pods on update (their containers are immutable) nor subresources.
package limitranger
