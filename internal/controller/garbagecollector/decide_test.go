package garbagecollector

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

func refs(uids ...types.UID) []metav1.OwnerReference {
	var out []metav1.OwnerReference
	for _, u := range uids {
		out = append(out, metav1.OwnerReference{UID: u, Name: string(u)})
	}
	return out
}

func TestDecideDependent(t *testing.T) {
	fg := metav1.FinalizerDeleteDependents
	orphan := metav1.FinalizerOrphanDependents
	tests := []struct {
		name   string
		dep    Dependent
		states map[types.UID]OwnerState
		want   DependentPlan
	}{
		{"no owners", Dependent{}, nil, DependentPlan{}},
		{"solid owner keeps it", Dependent{Owners: refs("a")}, map[types.UID]OwnerState{"a": OwnerSolid}, DependentPlan{}},
		{"unknown owner counts as solid", Dependent{Owners: refs("a")}, nil, DependentPlan{}},
		{"dangling owner deletes in background", Dependent{Owners: refs("a")}, map[types.UID]OwnerState{"a": OwnerDangling},
			DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationBackground}},
		{"second owner remains: drop only the dangling ref", Dependent{Owners: refs("a", "b")},
			map[types.UID]OwnerState{"a": OwnerDangling, "b": OwnerSolid},
			DependentPlan{Op: OpRemoveOwnerRefs, RemoveUIDs: []types.UID{"a"}}},
		{"solid and waiting owners: drop the waiting ref", Dependent{Owners: refs("a", "b")},
			map[types.UID]OwnerState{"a": OwnerWaiting, "b": OwnerSolid},
			DependentPlan{Op: OpRemoveOwnerRefs, RemoveUIDs: []types.UID{"a"}}},
		{"waiting owner, no dependents: background", Dependent{Owners: refs("a")}, map[types.UID]OwnerState{"a": OwnerWaiting},
			DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationBackground}},
		{"waiting owner with dependents: foreground", Dependent{Owners: refs("a"), HasDependents: true},
			map[types.UID]OwnerState{"a": OwnerWaiting},
			DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationForeground}},
		{"cycle: unblock then foreground", Dependent{Owners: refs("a"), HasDependents: true, DependentsDeletingDependents: true},
			map[types.UID]OwnerState{"a": OwnerWaiting},
			DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationForeground, RemoveUIDs: []types.UID{"a"}}},
		{"own orphan finalizer chooses orphan", Dependent{Owners: refs("a"), Finalizers: []string{orphan}},
			map[types.UID]OwnerState{"a": OwnerDangling},
			DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationOrphan}},
		{"already deleting: left alone", Dependent{Owners: refs("a"), Deleting: true},
			map[types.UID]OwnerState{"a": OwnerDangling}, DependentPlan{}},
		{"deleting in foreground is still processed", Dependent{Owners: refs("a"), Deleting: true, Finalizers: []string{fg}},
			map[types.UID]OwnerState{"a": OwnerDangling},
			DependentPlan{Op: OpDelete, Policy: metav1.DeletePropagationForeground}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideDependent(tt.dep, tt.states); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecideDeletingOwner(t *testing.T) {
	fg := []string{metav1.FinalizerDeleteDependents}
	orphan := []string{metav1.FinalizerOrphanDependents}
	tests := []struct {
		name       string
		deleting   bool
		finalizers []string
		deps       []Link
		want       OwnerPlan
	}{
		{"not deleting", false, fg, []Link{{UID: "d"}}, OwnerPlan{}},
		{"no gc finalizer", true, []string{"x"}, []Link{{UID: "d"}}, OwnerPlan{}},
		{"foreground without dependents", true, fg, nil, OwnerPlan{RemoveFinalizer: metav1.FinalizerDeleteDependents}},
		{"foreground, non-blocking dependent: delete it, owner may go", true, fg, []Link{{UID: "d"}},
			OwnerPlan{Delete: []types.UID{"d"}, RemoveFinalizer: metav1.FinalizerDeleteDependents}},
		{"foreground, blocking dependent: owner waits", true, fg, []Link{{UID: "d", Block: true}},
			OwnerPlan{Delete: []types.UID{"d"}}},
		{"foreground, blocking dependent already deleting: still waits", true, fg, []Link{{UID: "d", Block: true, Deleting: true}},
			OwnerPlan{}},
		{"orphan with dependents", true, orphan, []Link{{UID: "d"}, {UID: "e", Block: true}},
			OwnerPlan{Orphan: []types.UID{"d", "e"}, RemoveFinalizer: metav1.FinalizerOrphanDependents}},
		{"orphan without dependents", true, orphan, nil, OwnerPlan{RemoveFinalizer: metav1.FinalizerOrphanDependents}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideDeletingOwner(tt.deleting, tt.finalizers, tt.deps); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGraphDependents(t *testing.T) {
	g := newGraph()
	yes := true
	g.upsert(node{uid: "d1", owners: []metav1.OwnerReference{{UID: "o", BlockOwnerDeletion: &yes}}})
	g.upsert(node{uid: "d2", owners: refs("o", "p")})
	if got := len(g.dependentsOf("o")); got != 2 {
		t.Fatalf("dependents of o: %d, want 2", got)
	}
	g.upsert(node{uid: "d2", owners: refs("p")})
	deps := g.dependentsOf("o")
	if len(deps) != 1 || deps[0].UID != "d1" || !deps[0].Block {
		t.Fatalf("after re-parenting d2: %+v", deps)
	}
	g.remove("d1")
	if got := g.dependentsOf("o"); len(got) != 0 {
		t.Fatalf("after removing d1: %+v", got)
	}
	if _, ok := g.get("d2"); !ok {
		t.Fatal("d2 lost")
	}
}

func TestCollectable(t *testing.T) {
	for gvr, want := range map[[3]string]bool{
		{"", "v1", "events"}:              false,
		{"events.k8s.io", "v1", "events"}: false,
		{"", "v1", "pods"}:                true,
		{"example.com", "v1", "events"}:   true,
	} {
		if got := collectable(schemaGVR(gvr)); got != want {
			t.Errorf("collectable(%v) = %v", gvr, got)
		}
	}
}

func schemaGVR(s [3]string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: s[0], Version: s[1], Resource: s[2]}
}
