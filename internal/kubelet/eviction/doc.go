// Package eviction is the kubelet's node-pressure eviction: it watches the
// node's eviction signals (memory.available, nodefs.available,
// nodefs.inodesFree, imagefs.available, imagefs.inodesFree, pid.available)
// against hard and soft thresholds, reports the MemoryPressure, DiskPressure
// and PIDPressure node conditions (held for a transition period), and when a
// threshold is met fails one pod per monitoring interval, ranked as
// upstream's kubelet ranks them.
//
// The decision is the pure function Decide over a snapshot (observations,
// thresholds, pods with their usage, previous state); Manager is the thin
// loop that gathers the snapshot every 10 s and carries the decision out
// through injected functions. The package must not talk to the API server or
// the container runtime's lifecycle calls itself: killing and failing pods
// is the kubelet's (Options.Evict), reporting conditions is nodestatus's.
// A met threshold stays met until its signal is back above the threshold
// plus its minimum reclaim (--eviction-minimum-reclaim). Before evicting a
// pod for a disk signal, the manager reclaims node-level resources through
// injected functions (dead containers, then unused images) and observes
// again. AdmitPod is the kubelet's admission rule under pressure (reject
// BestEffort pods under MemoryPressure, every non-critical pod under
// DiskPressure or PIDPressure); Manager.Admit applies it to the current
// conditions.
package eviction
