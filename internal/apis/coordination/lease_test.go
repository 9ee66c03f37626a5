package coordination

import (
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
)

func TestValidateLease(t *testing.T) {
	for _, tc := range []struct {
		duration, transitions int32
		want                  string
	}{
		{40, 0, ""},
		{0, 0, "spec.leaseDurationSeconds"},
		{40, -1, "spec.leaseTransitions"},
	} {
		l := &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &tc.duration, LeaseTransitions: &tc.transitions}}
		errs := ValidateLease(l)
		if (tc.want == "" && len(errs) != 0) || (tc.want != "" && (len(errs) != 1 || errs[0].Field != tc.want)) {
			t.Errorf("%+v: got %v", tc, errs)
		}
	}
}
