// Package resourcequota is the ResourceQuota admission plugin: for every
// create (and every update that can change usage, such as a PVC resize or
// a service type change) in a namespace with quotas, it checks that the
// usage each matching quota would reach stays within its hard limits, and
// records that usage in the quota's status.used — with optimistic
// concurrency, retried on conflict — before it admits the request, so two
// concurrent writes cannot both take the last unit. A namespace's
// concurrent charging requests are decided in batches, one quota write per
// batch, as upstream's evaluator does. Refusals are 403s with
// upstream's messages ("exceeded quota: …", "failed quota: …", "status
// unknown for quota: …"). What an object consumes is decided by package
// quota.
//
// It must not recompute usage from the objects that exist (the quota
// controller does, and so frees what deletions release), must not change
// the object under admission, and writes nothing but quota status, through
// the StatusWriter the server's Lookup provides.
package resourcequota
