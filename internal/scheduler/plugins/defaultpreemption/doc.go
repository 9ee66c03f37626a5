// Package defaultpreemption is the DefaultPreemption PostFilter: for a pod
// that fits nowhere it finds, per node, the fewest and least important
// lower-priority pods whose removal lets the pod fit (sparing pods whose
// PodDisruptionBudget would be violated where it can), picks one node as
// upstream does, and hands the decision to an Evictor, which nominates the
// node and deletes the victims through the API. The choice (victims.go)
// is a pure function of the snapshot; it must never change the snapshot,
// and all I/O stays behind the Evictor interface.
package defaultpreemption
