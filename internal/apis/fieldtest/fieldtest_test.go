package fieldtest

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestSummary(t *testing.T) {
	errs := field.ErrorList{field.Required(field.NewPath("spec", "b"), ""), field.Invalid(field.NewPath("spec", "a"), 1, "bad")}
	got := Summary(errs)
	if len(got) != 2 || got[0] != "FieldValueInvalid spec.a" || got[1] != "FieldValueRequired spec.b" {
		t.Fatalf("Summary = %q", got)
	}
}
