// Package resourcequota is the resource quota controller: it keeps every
// ResourceQuota's status.hard equal to spec.hard and status.used equal to
// what the objects in its namespace consume (package quota of the
// admission plugin decides what that is), recomputed when a quota is
// created or its spec changes, when objects it counts go away or change
// their usage (pods finishing or deleted, services changing type, claims
// resized), and for every quota every resync period (5 minutes, as
// upstream) — so deletions free quota the admission plugin charged.
//
// It must not refuse or admit anything (admission does), and writes
// nothing but quota status. It reads pods, services and claims from
// informers and counts other resources with metadata-only lists.
package resourcequota
