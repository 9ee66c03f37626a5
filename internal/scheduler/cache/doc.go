// Package cache is the scheduler's node cache: the nodes and the pods bound
// or assumed to them, kept from informer events and from the scheduler's own
// decisions, and the per-cycle Snapshot the decisions are made on.
//
// A pod is assumed (counted on its node) as soon as the scheduler decides,
// before the asynchronous bind; a failed bind forgets it; the informer's
// event for the bound pod confirms it. The cache must not call the API or
// decide anything: it is bookkeeping under one mutex.
package cache
