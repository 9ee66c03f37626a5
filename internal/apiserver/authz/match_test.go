package authz

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/capstan/capstan/internal/apiserver"
)

func res(verb, group, resource, sub, ns, name string) apiserver.Attributes {
	return apiserver.Attributes{ResourceRequest: true, Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func TestRuleAllows(t *testing.T) {
	pods := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		a    apiserver.Attributes
		want bool
	}{
		{"exact", pods, res("get", "", "pods", "", "ns", "p"), true},
		{"other verb", pods, res("delete", "", "pods", "", "ns", "p"), false},
		{"other group", pods, res("get", "apps", "pods", "", "ns", "p"), false},
		{"subresource not granted by resource", pods, res("get", "", "pods", "log", "ns", "p"), false},
		{"subresource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}}, res("get", "", "pods", "log", "ns", "p"), true},
		{"subresource rule not the resource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}}, res("get", "", "pods", "", "ns", "p"), false},
		{"star slash sub", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"apps"}, Resources: []string{"*/scale"}}, res("update", "apps", "deployments", "scale", "ns", "d"), true},
		{"star slash sub other sub", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"apps"}, Resources: []string{"*/scale"}}, res("update", "apps", "deployments", "status", "ns", "d"), false},
		{"wildcards", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, res("deletecollection", "x.io", "things", "sub", "", ""), true},
		{"resource name match", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}, res("get", "", "configmaps", "", "ns", "a"), true},
		{"resource name mismatch", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}, res("get", "", "configmaps", "", "ns", "b"), false},
		{"resource names and list", rbacv1.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}, res("list", "", "configmaps", "", "ns", ""), false},
		{"url exact", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, apiserver.Attributes{Verb: "get", Path: "/healthz"}, true},
		{"url glob", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}}, apiserver.Attributes{Verb: "get", Path: "/apis/apps/v1"}, true},
		{"url glob not parent", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}}, apiserver.Attributes{Verb: "get", Path: "/apis"}, false},
		{"url rule on resource", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"*"}}, res("get", "", "pods", "", "ns", ""), false},
		{"resource rule on url", pods, apiserver.Attributes{Verb: "get", Path: "/api"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleAllows(&tt.a, &tt.rule); got != tt.want {
				t.Errorf("ruleAllows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSubjectKey(t *testing.T) {
	tests := []struct {
		s       rbacv1.Subject
		ns      string
		want    string
		matches bool
	}{
		{rbacv1.Subject{Kind: "User", Name: "alice"}, "", "u:alice", true},
		{rbacv1.Subject{Kind: "Group", Name: "devs"}, "", "g:devs", true},
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "sa", Namespace: "x"}, "y", "u:system:serviceaccount:x:sa", true},
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "sa"}, "y", "u:system:serviceaccount:y:sa", true},
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "sa"}, "", "", false},
		{rbacv1.Subject{Kind: "Robot", Name: "r"}, "", "", false},
	}
	for _, tt := range tests {
		got, ok := subjectKey(tt.s, tt.ns)
		if got != tt.want || ok != tt.matches {
			t.Errorf("subjectKey(%+v, %q) = %q, %v; want %q, %v", tt.s, tt.ns, got, ok, tt.want, tt.matches)
		}
	}
}
