package garbagecollector

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// OwnerState is what the collector knows about the owner an ownerReference
// points to.
type OwnerState int

const (
	// OwnerSolid is an owner that exists and is not being deleted in the
	// foreground.
	OwnerSolid OwnerState = iota
	// OwnerDangling is an owner that does not exist, or exists with another
	// UID: the reference points at nothing.
	OwnerDangling
	// OwnerWaiting is an owner being deleted in the foreground: it has a
	// deletionTimestamp and the foregroundDeletion finalizer.
	OwnerWaiting
)

// Op is the kind of write a decision asks for.
type Op int

const (
	// OpNone leaves the object alone.
	OpNone Op = iota
	// OpRemoveOwnerRefs drops the ownerReferences whose UIDs are listed.
	OpRemoveOwnerRefs
	// OpDelete deletes the object with the given propagation policy.
	OpDelete
)

// DependentPlan is what to do with an object that has ownerReferences.
type DependentPlan struct {
	Op Op
	// RemoveUIDs lists owner UIDs to drop, for OpRemoveOwnerRefs; and, for
	// OpDelete, the owner references to unblock first to break a cycle.
	RemoveUIDs []types.UID
	// Policy is the propagation policy for OpDelete.
	Policy metav1.DeletionPropagation
}

// Dependent is a snapshot of an object with ownerReferences, read live.
type Dependent struct {
	Owners     []metav1.OwnerReference
	Finalizers []string
	Deleting   bool // has a deletionTimestamp
	// HasDependents reports whether other objects name this one as owner.
	HasDependents bool
	// DependentsDeletingDependents reports whether one of those is itself
	// being deleted in the foreground (a possible ownership cycle).
	DependentsDeletingDependents bool
}

// DecideDependent decides what happens to a dependent given the state of
// each of its owners (by UID; an owner missing from states counts as solid,
// so that an unknown never causes a deletion).
//
// As upstream: an object already being deleted (other than in the
// foreground) is left alone. With at least one solid owner it survives, and
// only references to dangling or waiting owners are dropped. Otherwise, if
// an owner waits for it and it has dependents of its own, it is deleted in
// the foreground so the wait extends through it; else it is deleted with the
// policy its own finalizers ask for, Background by default.
func DecideDependent(d Dependent, states map[types.UID]OwnerState) DependentPlan {
	if d.Deleting && !slices.Contains(d.Finalizers, metav1.FinalizerDeleteDependents) {
		return DependentPlan{}
	}
	if len(d.Owners) == 0 {
		return DependentPlan{}
	}
	var solid, dangling, waiting []types.UID
	for _, ref := range d.Owners {
		switch states[ref.UID] {
		case OwnerDangling:
			dangling = append(dangling, ref.UID)
		case OwnerWaiting:
			waiting = append(waiting, ref.UID)
		default:
			solid = append(solid, ref.UID)
		}
	}
	switch {
	case len(solid) > 0:
		if len(dangling) == 0 && len(waiting) == 0 {
			return DependentPlan{}
		}
		return DependentPlan{Op: OpRemoveOwnerRefs, RemoveUIDs: append(dangling, waiting...)}
	case len(waiting) > 0 && d.HasDependents:
		plan := DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationForeground}
		if d.DependentsDeletingDependents {
			plan.RemoveUIDs = waiting
		}
		return plan
	default:
		return DependentPlan{Op: OpDelete, Policy: policyFromFinalizers(d.Finalizers)}
	}
}

func policyFromFinalizers(finalizers []string) metav1.DeletionPropagation {
	switch {
	case slices.Contains(finalizers, metav1.FinalizerOrphanDependents):
		return metav1.DeletePropagationOrphan
	case slices.Contains(finalizers, metav1.FinalizerDeleteDependents):
		return metav1.DeletePropagationForeground
	default:
		return metav1.DeletePropagationBackground
	}
}

// Link is one dependent of an owner, as the graph knows it.
type Link struct {
	UID      types.UID
	Deleting bool // the dependent has a deletionTimestamp
	// Block is the blockOwnerDeletion of the dependent's reference to the
	// owner.
	Block bool
}

// OwnerPlan is what to do for an owner that is being deleted.
type OwnerPlan struct {
	// Orphan lists dependents whose references to the owner must be
	// removed; RemoveFinalizer applies only once all of them succeeded.
	Orphan []types.UID
	// Delete lists dependents to hand to the dependent logic (which sees
	// the owner waiting and deletes them).
	Delete []types.UID
	// RemoveFinalizer, when not empty, is the finalizer to remove now.
	RemoveFinalizer string
}

// DecideDeletingOwner decides the work for an owner with a deletionTimestamp.
// Orphan propagation comes first: all dependents lose their reference, then
// the orphan finalizer goes. Foreground propagation deletes the dependents
// that are not yet being deleted, and the foregroundDeletion finalizer goes
// only once no dependent with blockOwnerDeletion remains.
func DecideDeletingOwner(deleting bool, finalizers []string, deps []Link) OwnerPlan {
	if !deleting {
		return OwnerPlan{}
	}
	if slices.Contains(finalizers, metav1.FinalizerOrphanDependents) {
		plan := OwnerPlan{RemoveFinalizer: metav1.FinalizerOrphanDependents}
		for _, d := range deps {
			plan.Orphan = append(plan.Orphan, d.UID)
		}
		return plan
	}
	if !slices.Contains(finalizers, metav1.FinalizerDeleteDependents) {
		return OwnerPlan{}
	}
	var plan OwnerPlan
	blocking := false
	for _, d := range deps {
		if d.Block {
			blocking = true
		}
		if !d.Deleting {
			plan.Delete = append(plan.Delete, d.UID)
		}
	}
	if !blocking {
		plan.RemoveFinalizer = metav1.FinalizerDeleteDependents
	}
	return plan
}

// StateOf classifies a live owner whose UID matched the reference.
func StateOf(deleting bool, finalizers []string) OwnerState {
	if deleting && slices.Contains(finalizers, metav1.FinalizerDeleteDependents) {
		return OwnerWaiting
	}
	return OwnerSolid
}
