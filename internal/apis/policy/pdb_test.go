package policy

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestValidatePodDisruptionBudget(t *testing.T) {
	one, pct, big := intstr.FromInt32(1), intstr.FromString("50%"), intstr.FromString("150%")
	for _, tc := range []struct {
		name string
		spec policyv1.PodDisruptionBudgetSpec
		want string
	}{
		{"min", policyv1.PodDisruptionBudgetSpec{MinAvailable: &one}, ""},
		{"max percent", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &pct}, ""},
		{"both", policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, MaxUnavailable: &pct}, "spec"},
		{"over 100%", policyv1.PodDisruptionBudgetSpec{MinAvailable: &big}, "spec.minAvailable"},
	} {
		errs := ValidatePodDisruptionBudget(&policyv1.PodDisruptionBudget{Spec: tc.spec})
		if (tc.want == "" && len(errs) != 0) || (tc.want != "" && (len(errs) != 1 || errs[0].Field != tc.want)) {
			t.Errorf("%s: got %v", tc.name, errs)
		}
	}
}
