package apps

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestValidateControllerRevision(t *testing.T) {
	data := runtime.RawExtension{Raw: []byte(`{"spec":{}}`)}
	for _, tc := range []struct {
		name string
		cr   appsv1.ControllerRevision
		old  *appsv1.ControllerRevision
		want []string
	}{
		{"valid", appsv1.ControllerRevision{Data: data, Revision: 3}, nil, nil},
		{"missing data", appsv1.ControllerRevision{Revision: 1}, nil, []string{"FieldValueRequired data"}},
		{"negative revision", appsv1.ControllerRevision{Data: data, Revision: -1}, nil, []string{"FieldValueInvalid revision"}},
		{"revision bump on update", appsv1.ControllerRevision{Data: data, Revision: 4}, &appsv1.ControllerRevision{Data: data, Revision: 3}, nil},
		{"data change on update", appsv1.ControllerRevision{Data: runtime.RawExtension{Raw: []byte(`{}`)}, Revision: 3},
			&appsv1.ControllerRevision{Data: data, Revision: 3}, []string{"FieldValueInvalid data"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.old == nil {
				fieldtest.ExpectErrors(t, ValidateControllerRevision(&tc.cr), tc.want...)
				return
			}
			fieldtest.ExpectErrors(t, ValidateControllerRevisionUpdate(&tc.cr, tc.old), tc.want...)
		})
	}
}
