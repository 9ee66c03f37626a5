// Package quota is what a ResourceQuota counts: the usage of one object
// (pods, services, persistentvolumeclaims, and a count for every other
// namespaced resource, under count/<resource>.<group> and the legacy names
// configmaps, secrets, replicationcontrollers, resourcequotas), which quotas
// an object falls under (hard resource names and scopes), the admission
// check of one request against the quotas of its namespace, and the
// recomputation of a quota's status.used from the objects that exist.
//
// It is the deterministic core shared by the ResourceQuota admission plugin
// and the quota controller: plain functions over core/v1 objects and
// resource lists. It must not do I/O, hold state between calls, or import
// the API server, storage or client-go; callers list objects and write
// quotas.
package quota
