package fieldmanager

import (
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
)

func TestConflictError(t *testing.T) {
	key := func(e metav1.ManagedFieldsEntry) string {
		k, err := managerKey(e)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	applier := key(metav1.ManagedFieldsEntry{Manager: "alice", Operation: metav1.ManagedFieldsOperationApply})
	updater := key(metav1.ManagedFieldsEntry{Manager: "kcm", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Subresource: "status"})
	replicas := fieldpath.MakePathOrDie("spec", "replicas")
	paused := fieldpath.MakePathOrDie("spec", "paused")
	tests := []struct {
		name      string
		conflicts merge.Conflicts
		want      string
	}{
		{"one applier", merge.Conflicts{{Manager: applier, Path: replicas}},
			`Apply failed with 1 conflict: conflict with "alice": .spec.replicas`},
		{"subresource updater", merge.Conflicts{{Manager: updater, Path: replicas}},
			`Apply failed with 1 conflict: conflict with "kcm" with subresource "status" using apps/v1: .spec.replicas`},
		{"grouped by manager", merge.Conflicts{{Manager: updater, Path: replicas}, {Manager: applier, Path: replicas}, {Manager: applier, Path: paused}},
			"Apply failed with 3 conflicts: conflicts with \"alice\":\n- .spec.paused\n- .spec.replicas\n" +
				"conflicts with \"kcm\" with subresource \"status\" using apps/v1:\n- .spec.replicas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := conflictError(tt.conflicts)
			if err.Status().Code != http.StatusConflict || err.Error() != tt.want {
				t.Errorf("got %d %q, want 409 %q", err.Status().Code, err.Error(), tt.want)
			}
			causes := err.Status().Details.Causes
			if len(causes) != len(tt.conflicts) || causes[0].Type != metav1.CauseTypeFieldManagerConflict {
				t.Errorf("causes = %+v", causes)
			}
		})
	}
}
