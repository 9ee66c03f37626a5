// Package kubelet runs the pods bound to one node through CRI: one worker
// goroutine per pod syncs the pod's desired spec with what the runtime has
// (sandbox, init and sidecar containers, regular containers), restarts
// containers per restartPolicy with upstream back-off, reports pod status
// through the pods/status subresource, and terminates pods being deleted
// (preStop hooks, graceful stop, sandbox removal, volume teardown, final
// delete with a UID precondition).
//
// The decisions are pure functions over a snapshot: computeActions (desired
// pod + observed runtime state → actions), computeStatus (→ v1.PodStatus),
// restart-policy and back-off rules. Workers, the informer and the CRI relist
// loop are the thin shell around them.
//
// A new pod is first put to the PodAdmitters it is given (node-pressure
// admission); a rejected pod is failed without being started.
//
// State is recovered from CRI labels and annotations after a restart, so the
// kubelet keeps no state on disk of its own. It must not read storage or etcd,
// must not mutate objects from the informer cache, must not restart a running
// container it adopted, and must not set up volumes or run probes itself:
// those belong to the VolumeManager and ProbeManager it is given.
package kubelet
