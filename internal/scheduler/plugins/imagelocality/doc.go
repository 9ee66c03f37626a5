// Package imagelocality is the ImageLocality score: nodes that already hold
// the pod's images (node.status.images) score higher, weighted by image
// size and damped by how many nodes hold the image (so one popular image
// does not pull every pod to the same node). It must not filter.
package imagelocality
