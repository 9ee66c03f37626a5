// Package core defaults and validates the kinds of the core/v1 API group
// (Pod, Service, Namespace, ConfigMap, Secret, ServiceAccount, ...) and exports
// the pod template helpers that the workload groups (apps, batch) reuse.
//
// Functions here validate the spec and kind-specific fields only; ObjectMeta is
// validated by package apis. They must not mutate their input unless named
// Default*, must not do admission (service account tokens, priority, quota)
// and must not read or write storage.
package core
