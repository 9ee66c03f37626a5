package node

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// expectErrors fails unless errs are exactly want ("<type> <field>").
func expectErrors(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	got := make([]string, 0, len(errs))
	for _, e := range errs {
		got = append(got, string(e.Type)+" "+e.Field)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q\nfull: %v", got, want, errs.ToAggregate())
	}
}

func TestValidateRuntimeClass(t *testing.T) {
	for _, tc := range []struct {
		name string
		rc   nodev1.RuntimeClass
		want []string
	}{
		{"valid", nodev1.RuntimeClass{Handler: "runc", Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{"cpu": resource.MustParse("100m")}},
			Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "yes"},
				Tolerations: []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}}}, nil},
		{"bad handler", nodev1.RuntimeClass{Handler: "Run_C"}, []string{"FieldValueInvalid handler"}},
		{"empty handler", nodev1.RuntimeClass{}, []string{"FieldValueInvalid handler"}},
		{"negative overhead", nodev1.RuntimeClass{Handler: "kata", Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{"memory": resource.MustParse("-1Mi")}}},
			[]string{"FieldValueInvalid overhead.podFixed[memory]"}},
		{"bad scheduling", nodev1.RuntimeClass{Handler: "kata", Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"a b": "c"},
			Tolerations: []corev1.Toleration{{Key: "k", Operator: "Maybe"}}}},
			[]string{"FieldValueInvalid scheduling.nodeSelector", "FieldValueNotSupported scheduling.tolerations[0].operator"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectErrors(t, ValidateRuntimeClass(&tc.rc), tc.want...)
		})
	}
	old := &nodev1.RuntimeClass{Handler: "runc"}
	expectErrors(t, ValidateRuntimeClassUpdate(&nodev1.RuntimeClass{Handler: "kata"}, old), "FieldValueInvalid handler")
}
