// Package framework holds the scheduling framework: the extension points a
// plugin implements (PreFilter with PreFilterExtensions, Filter, PostFilter,
// PreScore, Score with NormalizeScore), the typed Status a plugin answers with, the per-node view
// of the cluster (NodeInfo, Snapshot) and the deterministic algorithm that
// turns a pod and a Snapshot into a node name or a FitError.
//
// Everything here is a plain function over a read-only Snapshot: it must not
// talk to the API, start informers, sleep or keep state between scheduling
// cycles other than the rotating start index of Algorithm (its scratch
// buffers are reused, not remembered: each cycle overwrites what it reads
// and clears the pointers it leaves) and the NodeMemo a plugin may keep
// (per-node results reused only for the very same unchanged NodeInfo, so
// never a different answer). Plugins must
// never mutate the Snapshot, the NodeInfos or the pods they are handed.
package framework
