// Package cacher is the watch cache of the object store: for one resource
// (all keys under a prefix such as "/pods/") it keeps a single store watch,
// decodes every event once, holds the current objects and a bounded window
// of recent events in memory, and fans events out to any number of watchers
// with exactly the contract of storage.Store.Watch. It also serves
// unpaginated lists at the cache's revision.
//
// Objects handed out by List and Watch are shared between all callers and
// the cache: consumers must treat them as read-only (encode them, or copy
// before changing anything).
//
// It must not write to the store, know about REST, HTTP or admission, or
// decode etcd values itself: it reads only through storage's public API.
package cacher
