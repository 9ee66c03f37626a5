package e2e

import (
	"strings"
	"testing"
)

// TestAuthCanIAndWhoami: the admin (system:masters, bound to cluster-admin)
// may do everything, and kubectl says so through SelfSubjectAccessReview,
// SelfSubjectRulesReview (the default discovery and public-info rules of
// system:authenticated listed after cluster-admin's, duplicates included,
// as upstream prints them) and SelfSubjectReview.
func TestAuthCanIAndWhoami(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		wantEqual(t, "auth can-i create pods", k.ok("auth", "can-i", "create", "pods"), "yes\n")
		wantEqual(t, "auth can-i delete nodes", k.ok("auth", "can-i", "delete", "nodes"), "yes\n")
		wantEqual(t, "auth can-i --list", k.ok("auth", "can-i", "--list"), `Resources                                       Non-Resource URLs   Resource Names   Verbs
*.*                                             []                  []               [*]
                                                [*]                 []               [*]
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]
                                                [/api/*]            []               [get]
                                                [/api]              []               [get]
                                                [/apis/*]           []               [get]
                                                [/apis]             []               [get]
                                                [/healthz]          []               [get]
                                                [/healthz]          []               [get]
                                                [/livez]            []               [get]
                                                [/livez]            []               [get]
                                                [/openapi/*]        []               [get]
                                                [/openapi]          []               [get]
                                                [/readyz]           []               [get]
                                                [/readyz]           []               [get]
                                                [/version/]         []               [get]
                                                [/version/]         []               [get]
                                                [/version]          []               [get]
                                                [/version]          []               [get]
`)
		// Impersonation (--as): the admin may; the answers are the
		// impersonated identity's. can-i exits 1 when it says no.
		for _, tc := range []struct{ args, want string }{
			{"create pods -n default --as system:serviceaccount:kube-system:replicaset-controller", "yes\n"},
			{"get secrets -A --as system:serviceaccount:kube-system:replicaset-controller", "no\n"},
			{"get pods --as nobody", "no\n"},
			{"get pods --as nobody --as-group system:masters", "yes\n"},
		} {
			r := k.run(append([]string{"auth", "can-i"}, strings.Fields(tc.args)...)...)
			wantEqual(t, "auth can-i "+tc.args, r.stdout, tc.want)
		}
		if k.version == "1.27" {
			return // kubectl 1.27 asks for the alpha and beta SelfSubjectReview only
		}
		wantEqual(t, "auth whoami --as", k.ok("auth", "whoami", "--as", "bob", "--as-group", "devs"),
			"ATTRIBUTE   VALUE\nUsername    bob\nGroups      [devs system:authenticated]\n")
		wantEqual(t, "auth whoami", k.ok("auth", "whoami"),
			"ATTRIBUTE   VALUE\nUsername    admin\nGroups      [system:masters system:authenticated]\n")
	})
}
