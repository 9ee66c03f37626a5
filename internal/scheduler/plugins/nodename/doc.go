// Package nodename is the NodeName filter: a pod that names a node in
// spec.nodeName fits only that node. It must not look at anything but the
// pod's spec.nodeName and the node's name.
package nodename
