// Package storage defaults and validates storage.k8s.io/v1 StorageClass
// objects.
//
// It checks field values only; it must not provision volumes or talk to
// CSI drivers.
package storage
