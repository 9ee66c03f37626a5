package node

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// expectErrors fails unless errs are exactly want ("<type> <field>").
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
			fieldtest.ExpectErrors(t, ValidateRuntimeClass(&tc.rc), tc.want...)
		})
	}
	old := &nodev1.RuntimeClass{Handler: "runc"}
	fieldtest.ExpectErrors(t, ValidateRuntimeClassUpdate(&nodev1.RuntimeClass{Handler: "kata"}, old), "FieldValueInvalid handler")
}
