package core

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// summarize turns errors into "<type> <field>" strings, sorted.
func summarize(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	slices.Sort(out)
	return out
}

// expectErrors fails unless errs are exactly want ("<type> <field>").
func expectErrors(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := summarize(errs); !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q\nfull: %v", got, want, errs.ToAggregate())
	}
}
