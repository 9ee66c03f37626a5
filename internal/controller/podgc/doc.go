// Package podgc is the pod garbage collector. Every gc period (20 s, as
// upstream) it force-deletes
//
//   - terminated pods (Succeeded/Failed) beyond the terminated-pod
//     threshold, evicted ones first, then oldest first;
//   - pods bound to a node that no longer exists, once the node has been
//     missing for the quarantine time and a live GET confirms it is gone
//     (marked Failed with the DisruptionTarget condition, reason
//     DeletionByPodGC);
//   - terminating pods that were never scheduled;
//   - terminating pods on a not-ready node tainted out-of-service.
//
// Which pods go is decided by pure functions (decide.go) over a snapshot.
// It must not delete running pods on existing nodes and must not read
// storage directly: everything goes through the API.
package podgc
