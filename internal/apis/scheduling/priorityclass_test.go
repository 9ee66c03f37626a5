package scheduling

import (
	"testing"

	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidatePriorityClass(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value int32
		want  string
	}{
		{"high", 1000000000, ""},
		{"too-high", 1000000001, "value"},
		{"system-node-critical", 2000001000, ""},
		{"system-custom", 10, "metadata.name"},
	} {
		pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: tc.name}, Value: tc.value}
		DefaultPriorityClass(pc)
		errs := ValidatePriorityClass(pc)
		switch {
		case tc.want == "" && len(errs) != 0:
			t.Errorf("%s: unexpected %v", tc.name, errs)
		case tc.want != "" && (len(errs) != 1 || errs[0].Field != tc.want):
			t.Errorf("%s: got %v, want one error on %s", tc.name, errs, tc.want)
		}
	}
	old := &schedulingv1.PriorityClass{Value: 5}
	DefaultPriorityClass(old)
	pc := old.DeepCopy()
	pc.Value = 6
	if errs := ValidatePriorityClassUpdate(pc, old); len(errs) != 1 || errs[0].Field != "value" {
		t.Errorf("value change: %v", errs)
	}
}
