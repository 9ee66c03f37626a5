package fieldtest

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Summary lists errs as "Type field.path" strings, sorted.
func Summary(errs field.ErrorList) []string {
	got := make([]string, 0, len(errs))
	for _, e := range errs {
		got = append(got, string(e.Type)+" "+e.Field)
	}
	slices.Sort(got)
	return got
}

// ExpectErrors fails t unless errs are exactly want (as "Type field.path",
// in any order): a missing or an extra error both fail.
func ExpectErrors(t testing.TB, errs field.ErrorList, want ...string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	if got := Summary(errs); !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q\nfull: %v", got, want, errs.ToAggregate())
	}
}
