// Package coordination validates coordination.k8s.io/v1 Lease objects.
//
// It checks field values only; it must not implement leader election or
// judge whether a lease has expired.
package coordination
