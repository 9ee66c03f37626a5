package audit

import (
	"strings"
	"testing"
)

const policyDoc = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: ["system:kube-proxy"]
  verbs: ["watch"]
- level: None
  userGroups: ["system:nodes"]
  resources:
  - group: ""
    resources: ["nodes/status"]
- level: Metadata
  resources:
  - group: ""
    resources: ["pods/log", "pods/*"]
- level: Request
  resources:
  - group: "apps"
    resources: ["*/scale"]
- level: RequestResponse
  namespaces: ["audited"]
  omitStages: [ResponseStarted]
  omitManagedFields: false
- level: Metadata
  resources:
  - group: ""
    resources: ["configmaps"]
    resourceNames: ["cluster-info"]
- level: None
  nonResourceURLs: ["/healthz*", "/version"]
- level: RequestResponse
  omitManagedFields: true
`

func TestPolicyEvaluate(t *testing.T) {
	p, err := ParsePolicy([]byte(policyDoc))
	if err != nil {
		t.Fatal(err)
	}
	res := func(verb, group, resource, sub, ns, name string) Attributes {
		return Attributes{User: "alice", Groups: []string{"devs", "system:authenticated"}, Verb: verb, ResourceRequest: true,
			APIGroup: group, APIVersion: "v1", Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	for _, tc := range []struct {
		name          string
		a             Attributes
		level         Level
		omitsResponse bool // ResponseStarted omitted
		omitManaged   bool
	}{
		{"user and verb match", func() Attributes {
			a := res("watch", "", "endpoints", "", "", "")
			a.User = "system:kube-proxy"
			return a
		}(), LevelNone, false, false},
		{"user matches, verb not", func() Attributes {
			a := res("list", "", "endpoints", "", "", "")
			a.User = "system:kube-proxy"
			return a
		}(), LevelRequestResponse, false, true},
		{"group matches subresource", func() Attributes {
			a := res("patch", "", "nodes", "status", "", "n1")
			a.Groups = []string{"system:nodes"}
			return a
		}(), LevelNone, false, false},
		{"group does not match", res("patch", "", "nodes", "status", "", "n1"), LevelRequestResponse, false, true},
		{"exact subresource", res("get", "", "pods", "log", "ns", "p"), LevelMetadata, false, false},
		{"resource/* subresource", res("create", "", "pods", "exec", "ns", "p"), LevelMetadata, false, false},
		{"resource/* also matches the bare resource (as upstream)", res("get", "", "pods", "", "ns", "p"), LevelMetadata, false, false},
		{"*/scale in group", res("update", "apps", "deployments", "scale", "ns", "d"), LevelRequest, false, false},
		{"*/scale other group", res("update", "", "replicationcontrollers", "scale", "ns", "d"), LevelRequestResponse, false, true},
		{"namespace rule", res("get", "", "configmaps", "", "audited", "x"), LevelRequestResponse, true, false},
		{"resourceNames match", res("get", "", "configmaps", "", "kube-public", "cluster-info"), LevelMetadata, false, false},
		{"resourceNames miss", res("get", "", "configmaps", "", "kube-public", "other"), LevelRequestResponse, false, true},
		{"non-resource prefix", Attributes{User: "a", Verb: "get", Path: "/healthz/etcd"}, LevelNone, false, false},
		{"non-resource exact", Attributes{User: "a", Verb: "get", Path: "/version"}, LevelNone, false, false},
		{"non-resource no match", Attributes{User: "a", Verb: "get", Path: "/metrics"}, LevelRequestResponse, false, true},
		{"secrets capped", res("get", "", "secrets", "", "ns", "s"), LevelMetadata, false, true},
		{"secrets capped even where namespace rule says RequestResponse", res("create", "", "secrets", "", "audited", "s"), LevelMetadata, true, false},
		{"service account token capped", res("create", "", "serviceaccounts", "token", "ns", "sa"), LevelMetadata, false, true},
		{"tokenreviews capped", res("create", "authentication.k8s.io", "tokenreviews", "", "", ""), LevelMetadata, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Evaluate(tc.a)
			if d.Level != tc.level {
				t.Fatalf("level = %s, want %s", d.Level, tc.level)
			}
			if tc.level == LevelNone {
				return
			}
			if !d.Omits(StageRequestReceived) {
				t.Error("policy-level omitStages lost")
			}
			if d.Omits(StageResponseStarted) != tc.omitsResponse {
				t.Errorf("omits ResponseStarted = %v, want %v", d.Omits(StageResponseStarted), tc.omitsResponse)
			}
			if d.OmitManagedFields != tc.omitManaged {
				t.Errorf("omitManagedFields = %v, want %v", d.OmitManagedFields, tc.omitManaged)
			}
		})
	}
}

func TestPolicyNoMatchIsNone(t *testing.T) {
	p, err := ParsePolicy([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  verbs: [delete]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Evaluate(Attributes{Verb: "get", ResourceRequest: true, Resource: "pods"}); d.Level != LevelNone {
		t.Fatalf("unmatched request logged at %s", d.Level)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	const h = "apiVersion: audit.k8s.io/v1\nkind: Policy\n"
	for _, tc := range []struct{ name, doc, want string }{
		{"yaml", h + "rules:\n- level: [\n", "line"},
		{"unknown field", h + "rules:\n- level: None\n  user: [a]\n", `unknown field "user"`},
		{"kind", "apiVersion: v1\nkind: Pod\nrules: []\n", "want audit.k8s.io/v1 Policy"},
		{"no rules", h + "rules: []\n", "at least one rule"},
		{"bad level", h + "rules:\n- level: Everything\n", `rules[0]: level: unknown level "Everything"`},
		{"missing level", h + "rules:\n- verbs: [get]\n", `rules[0]: level: unknown level ""`},
		{"bad stage", h + "omitStages: [Sometime]\nrules:\n- level: None\n", `omitStages: unknown stage "Sometime"`},
		{"mixed", h + "rules:\n- level: None\n  nonResourceURLs: [/x]\n  namespaces: [a]\n", "both regular resources and non-resource URLs"},
		{"inner star", h + "rules:\n- level: None\n  nonResourceURLs: ['/a*/b']\n", `only allowed at the end`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
