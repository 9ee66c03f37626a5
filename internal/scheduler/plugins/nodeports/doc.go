// Package nodeports is the NodePorts filter: a pod's host ports must be free
// on the node, by host IP (0.0.0.0 meaning all), protocol and port. It must
// not consider container ports without a hostPort.
package nodeports
