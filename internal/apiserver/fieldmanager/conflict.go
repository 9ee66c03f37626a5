package fieldmanager

import (
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
)

// conflictError renders apply conflicts as upstream's 409: one cause per
// conflicting field and a message grouped by manager, e.g.
//
//	Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas
func conflictError(conflicts merge.Conflicts) *apierrors.StatusError {
	sorted := make([]conflictLine, 0, len(conflicts))
	for _, c := range conflicts {
		sorted = append(sorted, conflictLine{manager: describeManager(c.Manager), path: c.Path.String()})
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].manager != sorted[j].manager {
			return sorted[i].manager < sorted[j].manager
		}
		return sorted[i].path < sorted[j].path
	})
	causes := make([]metav1.StatusCause, 0, len(sorted))
	for _, c := range sorted {
		causes = append(causes, metav1.StatusCause{
			Type:    metav1.CauseTypeFieldManagerConflict,
			Message: "conflict with " + c.manager,
			Field:   c.path,
		})
	}
	return apierrors.NewApplyConflict(causes, conflictMessage(sorted))
}

type conflictLine struct{ manager, path string }

// conflictMessage expects lines sorted by manager then path.
func conflictMessage(lines []conflictLine) string {
	if len(lines) == 1 {
		return fmt.Sprintf("Apply failed with 1 conflict: conflict with %s: %s", lines[0].manager, lines[0].path)
	}
	var parts []string
	for i, l := range lines {
		if i == 0 || lines[i-1].manager != l.manager {
			parts = append(parts, fmt.Sprintf("conflicts with %s:", l.manager))
		}
		parts = append(parts, "- "+l.path)
	}
	return fmt.Sprintf("Apply failed with %d conflicts: %s", len(lines), strings.Join(parts, "\n"))
}

// describeManager turns a manager key into the text users read:
// "name", plus ` with subresource "status"` and ` using apps/v1` for
// updaters.
func describeManager(key string) string {
	e, err := identity(key)
	if err != nil {
		return fmt.Sprintf("%q", key)
	}
	s := fmt.Sprintf("%q", e.Manager)
	if e.Subresource != "" {
		s += fmt.Sprintf(" with subresource %q", e.Subresource)
	}
	if e.Operation == metav1.ManagedFieldsOperationUpdate {
		s += " using " + e.APIVersion
	}
	return s
}
