// Package defaultpreemption is the DefaultPreemption PostFilter: for a pod
// that fits nowhere it finds, per node, the fewest and least important
// lower-priority pods whose removal lets the pod fit (sparing pods whose
// PodDisruptionBudget would be violated where it can; each removal and
// reprieve goes through the cycle state's PreFilterExtensions on a clone,
// so affinity and spread counts follow the victims), picks one node as
// upstream does, and hands the decision to an Evictor, which nominates the
// node and deletes the victims through the API. The choice (victims.go)
// is a pure function of the snapshot; it must never change the snapshot,
// and all I/O stays behind the Evictor interface.
package defaultpreemption
