package authz

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestRuleCovers(t *testing.T) {
	tests := []struct {
		name        string
		held, want  []rbacv1.PolicyRule
		wantMissing []string
	}{
		{"same", []rbacv1.PolicyRule{rule([]string{"get", "list"}, core(), "pods")}, []rbacv1.PolicyRule{rule([]string{"get"}, core(), "pods")}, nil},
		{"star", []rbacv1.PolicyRule{rule(all(), all(), "*")}, []rbacv1.PolicyRule{rule([]string{"delete"}, []string{"apps"}, "deployments/scale")}, nil},
		{"star sub", []rbacv1.PolicyRule{rule([]string{"update"}, []string{"apps"}, "*/scale")}, []rbacv1.PolicyRule{rule([]string{"update"}, []string{"apps"}, "deployments/scale")}, nil},
		{"verbs missing compacted", []rbacv1.PolicyRule{rule([]string{"get"}, core(), "pods")},
			[]rbacv1.PolicyRule{rule([]string{"get", "create", "delete"}, core(), "pods", "secrets")},
			[]string{`{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete"]}`, `{APIGroups:[""], Resources:["secrets"], Verbs:["get" "create" "delete"]}`}},
		{"named held does not cover all", []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: core(), Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}},
			[]rbacv1.PolicyRule{rule([]string{"get"}, core(), "configmaps")}, []string{`{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}`}},
		{"named covered", []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: core(), Resources: []string{"configmaps"}, ResourceNames: []string{"a", "b"}}},
			[]rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: core(), Resources: []string{"configmaps"}, ResourceNames: []string{"b"}}}, nil},
		{"urls", []rbacv1.PolicyRule{urls([]string{"get"}, "/apis/*")}, []rbacv1.PolicyRule{urls([]string{"get", "post"}, "/apis/apps")},
			[]string{`{NonResourceURLs:["/apis/apps"], Verbs:["post"]}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range compactRules(missingRules(tt.held, tt.want)) {
				got = append(got, compactString(m))
			}
			if strings.Join(got, "\n") != strings.Join(tt.wantMissing, "\n") {
				t.Errorf("missing =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantMissing, "\n"))
			}
		})
	}
}

func TestCheckWrite(t *testing.T) {
	podsRW := rule([]string{"get", "create"}, core(), "pods")
	c := newTestChain(
		testClusterRole("pods-rw", podsRW),
		testClusterRole("secrets", rule([]string{"get"}, core(), "secrets")),
		testClusterRole("role-admin", rule([]string{"create", "update"}, []string{rbacv1.GroupName}, "roles", "rolebindings")),
		testClusterRole("escalator", rule([]string{"escalate"}, []string{rbacv1.GroupName}, "roles")),
		testClusterRole("binder", rbacv1.PolicyRule{Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"secrets"}}),
		testRB("team", "dev-pods", "ClusterRole", "pods-rw", user("dev")),
		testRB("team", "dev-roles", "ClusterRole", "role-admin", user("dev")),
		testRB("team", "esc", "ClusterRole", "escalator", user("esc")),
		testRB("team", "bind", "ClusterRole", "binder", user("binder")),
	)
	dev := as("dev", "system:authenticated")
	grantSecrets := testRole("team", "r", rule([]string{"get"}, core(), "secrets"))
	tests := []struct {
		name    string
		user    string
		obj     runtime.Object
		old     runtime.Object
		wantErr string
	}{
		{"role within held rules", "dev", testRole("team", "r", rule([]string{"get"}, core(), "pods")), nil, ""},
		{"role granting more", "dev", grantSecrets, nil,
			"roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"dev\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}"},
		{"held only in another namespace", "dev", testRole("other", "r", rule([]string{"get"}, core(), "pods")), nil, "is attempting to grant RBAC permissions not currently held"},
		{"escalate verb", "esc", grantSecrets, nil, ""},
		{"masters", "root", grantSecrets, nil, ""},
		{"unchanged rules on update", "dev", grantSecrets, grantSecrets, ""},
		{"binding to held role", "dev", testRB("team", "b", "ClusterRole", "pods-rw", user("x")), nil, ""},
		{"binding to more", "dev", testRB("team", "b", "ClusterRole", "secrets", user("x")), nil, "rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: user \"dev\""},
		{"bind verb", "binder", testRB("team", "b", "ClusterRole", "secrets", user("x")), nil, ""},
		{"bind verb limited to name", "binder", testRB("team", "b", "ClusterRole", "pods-rw", user("x")), nil, "is attempting to grant"},
		{"binding missing role", "dev", testRB("team", "b", "Role", "nope", user("x")), nil, `roles.rbac.authorization.k8s.io "nope" not found`},
		{"aggregation rule needs escalate", "dev", &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "agg"}, AggregationRule: &rbacv1.AggregationRule{}}, nil,
			"must have cluster-admin privileges to use the aggregationRule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := dev
			u.Name = tt.user
			if tt.user == "root" {
				u.Groups = []string{"system:masters"}
			}
			err := c.CheckWrite(context.Background(), u, tt.obj, tt.old)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckWrite: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckWrite = %v, want %q", err, tt.wantErr)
			}
			if !apierrors.IsForbidden(err) && !apierrors.IsNotFound(err) {
				t.Errorf("error is not an API status: %T", err)
			}
		})
	}
}
