package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func summary(errs field.ErrorList) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	slices.Sort(out)
	return out
}

func TestValidateRoles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []rbacv1.PolicyRule
		role  bool
		want  []string
	}{
		{"valid", []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}, true, []string{}},
		{"no verbs", []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}}}, true, []string{"FieldValueRequired rules[0].verbs"}},
		{"no groups or resources", []rbacv1.PolicyRule{{Verbs: []string{"get"}}}, true,
			[]string{"FieldValueRequired rules[0].apiGroups", "FieldValueRequired rules[0].resources"}},
		{"urls in role", []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}, true,
			[]string{"FieldValueInvalid rules[0].nonResourceURLs"}},
		{"urls in cluster role", []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}, false, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs field.ErrorList
			if tc.role {
				errs = ValidateRole(&rbacv1.Role{Rules: tc.rules})
			} else {
				errs = ValidateClusterRole(&rbacv1.ClusterRole{Rules: tc.rules})
			}
			if got := summary(errs); !slices.Equal(got, tc.want) {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestValidateBindings(t *testing.T) {
	ref := rbacv1.RoleRef{Kind: "Role", Name: "reader"}
	for _, tc := range []struct {
		name     string
		ref      rbacv1.RoleRef
		subjects []rbacv1.Subject
		cluster  bool
		want     []string
	}{
		{"valid", ref, []rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "ServiceAccount", Name: "sa"}}, false, []string{}},
		{"bad kind", rbacv1.RoleRef{Kind: "Pod", Name: "x"}, nil, false, []string{"FieldValueNotSupported roleRef.kind"}},
		{"cluster binding to role", ref, nil, true, []string{"FieldValueNotSupported roleRef.kind"}},
		{"missing name", rbacv1.RoleRef{Kind: "Role"}, nil, false, []string{"FieldValueRequired roleRef.name"}},
		{"sa without namespace in cluster binding", rbacv1.RoleRef{Kind: "ClusterRole", Name: "x"},
			[]rbacv1.Subject{{Kind: "ServiceAccount", Name: "sa"}}, true, []string{"FieldValueRequired subjects[0].namespace"}},
		{"unknown subject", ref, []rbacv1.Subject{{Kind: "Robot", Name: "r"}}, false, []string{"FieldValueNotSupported subjects[0].kind"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs field.ErrorList
			if tc.cluster {
				crb := &rbacv1.ClusterRoleBinding{RoleRef: tc.ref, Subjects: tc.subjects}
				DefaultClusterRoleBinding(crb)
				errs = ValidateClusterRoleBinding(crb)
			} else {
				rb := &rbacv1.RoleBinding{RoleRef: tc.ref, Subjects: tc.subjects}
				DefaultRoleBinding(rb)
				errs = ValidateRoleBinding(rb)
			}
			if got := summary(errs); !slices.Equal(got, tc.want) {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestRoleRefImmutable(t *testing.T) {
	old := &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "a"}}
	rb := old.DeepCopy()
	rb.RoleRef.Name = "b"
	errs := ValidateRoleBindingUpdate(rb, old)
	if len(errs) != 1 || errs[0].Field != "roleRef" || errs[0].Detail != "cannot change roleRef" {
		t.Fatalf("got %v", errs)
	}
}
