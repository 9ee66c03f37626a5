package abac

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan/capstan/internal/apiserver"
)

const examplePolicy = `# upstream's documented examples
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "alice", "namespace": "*", "resource": "*", "apiGroup": "*"}}

{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "kubelet", "namespace": "*", "resource": "pods", "readonly": true}}
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "bob", "namespace": "projectCaribou", "resource": "pods", "readonly": true}}
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"group": "ops", "namespace": "*", "resource": "deployments", "apiGroup": "apps"}}
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"group": "system:authenticated", "readonly": true, "nonResourcePath": "/version"}}
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "carol", "nonResourcePath": "/logs/*"}}
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "dave", "group": "admins", "namespace": "*", "resource": "*", "apiGroup": "*"}}
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "*", "namespace": "", "resource": "namespaces", "readonly": true}}
`

func TestAuthorize(t *testing.T) {
	specs, err := Parse(strings.NewReader(examplePolicy), "policy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 8 {
		t.Fatalf("parsed %d policies, want 8", len(specs))
	}
	z := New(specs)
	user := func(name string, groups ...string) apiserver.User { return apiserver.User{Name: name, Groups: groups} }
	res := func(u apiserver.User, verb, group, resource, ns string) apiserver.Attributes {
		return apiserver.Attributes{User: u, ResourceRequest: true, Verb: verb, Group: group, Resource: resource, Namespace: ns}
	}
	path := func(u apiserver.User, verb, p string) apiserver.Attributes {
		return apiserver.Attributes{User: u, Verb: verb, Path: p}
	}
	tests := []struct {
		name string
		a    apiserver.Attributes
		want bool
	}{
		{"alice anything", res(user("alice"), "delete", "apps", "deployments", "prod"), true},
		{"alice cluster scope: namespace * matches it", res(user("alice"), "create", "", "nodes", ""), true},
		{"kubelet reads pods", res(user("kubelet"), "list", "", "pods", "default"), true},
		{"kubelet cannot delete pods", res(user("kubelet"), "delete", "", "pods", "default"), false},
		{"bob reads pods in his namespace", res(user("bob"), "watch", "", "pods", "projectCaribou"), true},
		{"bob not elsewhere", res(user("bob"), "get", "", "pods", "default"), false},
		{"bob not other resources", res(user("bob"), "get", "", "secrets", "projectCaribou"), false},
		{"ops group deployments in apps", res(user("eve", "ops"), "update", "apps", "deployments", "x"), true},
		{"ops group deployments in another group", res(user("eve", "ops"), "update", "extensions", "deployments", "x"), false},
		{"authenticated reads /version", path(user("eve", "system:authenticated"), "get", "/version"), true},
		{"no post to /version", path(user("eve", "system:authenticated"), "post", "/version"), false},
		{"carol prefix path", path(user("carol"), "get", "/logs/kubelet.log"), true},
		{"carol not other paths", path(user("carol"), "get", "/metrics"), false},
		{"resource policies do not cover paths", path(user("alice"), "get", "/metrics"), false},
		{"user and group both must match", res(user("dave"), "get", "", "pods", "a"), false},
		{"user and group match", res(user("dave", "admins"), "get", "", "pods", "a"), true},
		{"wildcard user, cluster-scoped namespaces", res(user("anyone"), "get", "", "namespaces", ""), true},
		{"wildcard user, read only", res(user("anyone"), "delete", "", "namespaces", ""), false},
		{"unknown user", res(user("mallory"), "get", "", "pods", "default"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason, err := z.Authorize(context.Background(), tt.a)
			if err != nil || ok != tt.want {
				t.Fatalf("Authorize = %v (%q, %v), want %v", ok, reason, err, tt.want)
			}
			if !ok && reason != "No policy matched." {
				t.Errorf("reason = %q", reason)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	good := `{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "a", "resource": "*"}}`
	tests := []struct {
		name, text, want string
	}{
		{"not JSON", good + "\n{not json\n", "line 2: decode policy"},
		{"wrong apiVersion", "\n\n" + strings.Replace(good, "v1beta1", "v1", 1), "line 3: apiVersion"},
		{"wrong kind", strings.Replace(good, `"Policy"`, `"Role"`, 1), "line 1: kind"},
		{"no subject", `{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"resource": "*"}}`, "line 1: spec: user or group"},
		{"misspelled field", strings.Replace(good, `"resource"`, `"resources"`, 1), `line 1: decode policy: json: unknown field "resources"`},
		{"two objects", good + good, "line 1: more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.text), "/etc/abac.jsonl")
			if err == nil || !strings.Contains(err.Error(), "/etc/abac.jsonl, "+tt.want) {
				t.Fatalf("Parse = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "policy.jsonl")
	if err := os.WriteFile(p, []byte(examplePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if specs, err := LoadFile(p); err != nil || len(specs) != 8 {
		t.Fatalf("LoadFile = %d policies, %v", len(specs), err)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestRules(t *testing.T) {
	specs, err := Parse(strings.NewReader(examplePolicy), "p")
	if err != nil {
		t.Fatal(err)
	}
	res, nonRes, incomplete, err := New(specs).Rules(context.Background(), apiserver.User{Name: "bob", Groups: []string{"system:authenticated"}}, "projectCaribou")
	if err != nil || incomplete {
		t.Fatal(err, incomplete)
	}
	if len(res) != 1 || res[0].Resources[0] != "pods" || strings.Join(res[0].Verbs, ",") != "get,list,watch" {
		t.Errorf("resource rules = %+v", res)
	}
	if len(nonRes) != 1 || nonRes[0].NonResourceURLs[0] != "/version" {
		t.Errorf("non-resource rules = %+v", nonRes)
	}
	res, _, _, _ = New(specs).Rules(context.Background(), apiserver.User{Name: "bob"}, "default")
	if len(res) != 0 {
		t.Errorf("bob's rules in default = %+v, want none", res)
	}
}
