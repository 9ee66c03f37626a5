package fieldmanager

import (
	"net/http"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestApplyDeployment(t *testing.T) {
	m := testManager(t)
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, obj *appsv1.Deployment, own map[string]string)
	}{{
		name:  "apply creates",
		steps: []step{{manager: "kubectl", patch: deployYAML("replicas: 3")}},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if d.Name != "web" || d.Spec.Replicas == nil || *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != "nginx" {
				t.Errorf("object = %+v", d.Spec)
			}
			if len(own) != 1 || !fieldsHas(own["kubectl/Apply"], "f:spec", "f:replicas") ||
				!fieldsHas(own["kubectl/Apply"], "f:spec", "f:template", "f:spec", "f:containers") {
				t.Errorf("managedFields = %v", own)
			}
			if mf := d.ManagedFields; len(mf) != 1 || mf[0].Time == nil || mf[0].APIVersion != "apps/v1" {
				t.Errorf("entry = %+v", mf)
			}
			if fieldsHas(own["kubectl/Apply"], "f:metadata", "f:name") || fieldsHas(own["kubectl/Apply"], "f:apiVersion") {
				t.Errorf("identity fields are owned: %v", own)
			}
		},
	}, {
		name: "reapply without a field removes it",
		steps: []step{
			{manager: "kubectl", patch: deployYAML("replicas: 3", "minReadySeconds: 5")},
			{manager: "kubectl", patch: deployYAML("replicas: 3")},
		},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if d.Spec.MinReadySeconds != 0 || fieldsHas(own["kubectl/Apply"], "f:spec", "f:minReadySeconds") {
				t.Errorf("minReadySeconds kept: %d, %v", d.Spec.MinReadySeconds, own)
			}
		},
	}, {
		name: "two appliers conflict on replicas",
		steps: []step{
			{manager: "alice", patch: deployYAML("replicas: 3")},
			{manager: "bob", patch: deployYAML("replicas: 5"), wantCode: http.StatusConflict,
				wantMsg: `Apply failed with 1 conflict: conflict with "alice": .spec.replicas`},
		},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if *d.Spec.Replicas != 3 || own["bob/Apply"] != "" {
				t.Errorf("conflicting apply changed the object: %d %v", *d.Spec.Replicas, own)
			}
		},
	}, {
		name: "force takes ownership",
		steps: []step{
			{manager: "alice", patch: deployYAML("replicas: 3")},
			{manager: "bob", patch: deployYAML("replicas: 5"), force: true},
		},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if *d.Spec.Replicas != 5 || !fieldsHas(own["bob/Apply"], "f:spec", "f:replicas") ||
				fieldsHas(own["alice/Apply"], "f:spec", "f:replicas") {
				t.Errorf("replicas %d, managedFields %v", *d.Spec.Replicas, own)
			}
		},
	}, {
		name: "appliers agreeing share ownership",
		steps: []step{
			{manager: "alice", patch: deployYAML("replicas: 3")},
			{manager: "bob", patch: deployYAML("replicas: 3")},
		},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if !fieldsHas(own["bob/Apply"], "f:spec", "f:replicas") || !fieldsHas(own["alice/Apply"], "f:spec", "f:replicas") {
				t.Errorf("managedFields %v", own)
			}
		},
	}, {
		name: "update by another manager then apply conflicts",
		steps: []step{
			{manager: "kubectl", patch: deployYAML("replicas: 3")},
			{manager: "kubectl-client-side-apply", mutate: setReplicas(4)},
			{manager: "kubectl", patch: deployYAML("replicas: 3"), wantCode: http.StatusConflict,
				wantMsg: `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`},
		},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if *d.Spec.Replicas != 4 || !fieldsHas(own["kubectl-client-side-apply/Update"], "f:spec", "f:replicas") ||
				fieldsHas(own["kubectl/Apply"], "f:spec", "f:replicas") {
				t.Errorf("replicas %d, managedFields %v", *d.Spec.Replicas, own)
			}
		},
	}, {
		name: "apply to an untracked object conflicts with before-first-apply",
		steps: []step{
			{manager: "kubectl", patch: deployYAML("replicas: 3")},
			{manager: "edit", mutate: func(o runtime.Object) {
				setReplicas(2)(o)
				o.(*appsv1.Deployment).ManagedFields = []metav1.ManagedFieldsEntry{}
			}},
			{manager: "kubectl", patch: deployYAML("replicas: 7"), wantCode: http.StatusConflict,
				wantMsg: `conflict with "before-first-apply" using apps/v1`},
		},
		check: func(t *testing.T, d *appsv1.Deployment, own map[string]string) {
			if len(d.ManagedFields) != 0 || *d.Spec.Replicas != 2 {
				t.Errorf("reset object is tracked: %v", own)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := run(t, m, deployGVK, tt.steps)
			tt.check(t, obj.(*appsv1.Deployment), ownership(t, obj))
		})
	}
}

func TestApplyConfigMap(t *testing.T) {
	m := testManager(t)
	steps := []step{
		{manager: "kubectl", patch: cmYAML("a: '1'", "b: '2'")},
		{manager: "controller", mutate: func(o runtime.Object) { o.(*corev1.ConfigMap).Data["c"] = "3" }},
		{manager: "kubectl", patch: cmYAML("a: '1'")},
	}
	obj := run(t, m, cmGVK, steps).(*corev1.ConfigMap)
	own := ownership(t, obj)
	if _, ok := obj.Data["b"]; ok {
		t.Errorf("b should have been removed: %v", obj.Data)
	}
	if obj.Data["a"] != "1" || obj.Data["c"] != "3" {
		t.Errorf("data = %v", obj.Data)
	}
	if !fieldsHas(own["controller/Update"], "f:data", "f:c") || fieldsHas(own["kubectl/Apply"], "f:data", "f:b") {
		t.Errorf("managedFields = %v", own)
	}
}

func TestApplyBadRequest(t *testing.T) {
	m := testManager(t)
	tests := []struct {
		name, patch, msg string
	}{
		{"malformed yaml", "apiVersion: v1\nkind: ConfigMap\n  data: [", "error decoding YAML"},
		{"not an object", "- a\n- b\n", "not an object"},
		{"empty", "  \n", "empty apply patch"},
		{"other kind", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cfg\n", `kind "Secret"`},
		{"other version", "apiVersion: v2\nkind: ConfigMap\nmetadata:\n  name: cfg\n", "Specified patch version: v2"},
		{"other name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n", "does not match the name on the URL (cfg)"},
		{"managedFields set", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  managedFields: []\n", "managedFields must be nil"},
		{"unknown field", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\nbogus: 1\n", "bogus"},
		{"wrong type", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: 5\n", "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := []step{
				{manager: "kubectl", patch: cmYAML("a: '1'")},
				{manager: "kubectl", patch: tt.patch, wantCode: http.StatusBadRequest, wantMsg: tt.msg},
			}
			run(t, m, cmGVK, steps)
		})
	}
}
