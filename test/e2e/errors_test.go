package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorMessages checks the text kubectl prints for the API's NotFound,
// AlreadyExists, Conflict and Invalid errors; upstream prints the same.
func TestErrorMessages(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-errors")
		k.okIn(deploymentYAML(ns, "web", "nginx:1.25"), "apply", "-f", "-")

		// A stale copy for replace: taken before a label changes the object.
		stale := filepath.Join(t.TempDir(), "web.yaml")
		if err := os.WriteFile(stale, []byte(k.ok("-n", ns, "get", "deployment", "web", "-o", "yaml")), 0o600); err != nil {
			t.Fatal(err)
		}
		k.ok("-n", ns, "label", "deployment", "web", "changed=yes")

		invalid := strings.Replace(deploymentYAML(ns, "bad", "busybox"), "      labels:\n        app: bad",
			"      labels:\n        app: other", 1)
		tests := []struct {
			name  string
			stdin string
			args  []string
			want  string
			bug   string // set while the server is known to differ from upstream
		}{
			{"not found", "", []string{"get", "deployment", "nope"},
				`Error from server (NotFound): deployments.apps "nope" not found` + "\n", ""},
			// On a NotFound, kubectl itself GETs the namespace and reports that it is missing.
			{"not found namespace", "", []string{"get", "configmaps", "-n", "no-such-ns", "x"},
				`Error from server (NotFound): namespaces "no-such-ns" not found` + "\n", ""},
			{"create in missing namespace", "", []string{"create", "configmap", "x", "-n", "no-such-ns"},
				`error: failed to create configmap: namespaces "no-such-ns" not found` + "\n", ""},
			{"not found delete", "", []string{"delete", "configmap", "nope"},
				`Error from server (NotFound): configmaps "nope" not found` + "\n", ""},
			{"unknown resource type", "", []string{"get", "flurbs"},
				`error: the server doesn't have a resource type "flurbs"` + "\n", ""},
			{"already exists", "", []string{"create", "configmap", "dup"}, "", ""},
			{"already exists again", "", []string{"create", "configmap", "dup"},
				`error: failed to create configmap: configmaps "dup" already exists` + "\n", ""},
			{"conflict", "", []string{"replace", "-f", stale},
				`Error from server (Conflict): error when replacing "` + stale + `": Operation cannot be fulfilled on deployments.apps "web": ` +
					"the object has been modified; please apply your changes to the latest version and try again\n", ""},
			{"invalid create", invalid, []string{"create", "-f", "-"},
				`The Deployment "bad" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: ` +
					"`selector` does not match template `labels`\n", ""},
			{"invalid apply", invalid, []string{"apply", "-f", "-"},
				`The Deployment "bad" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: ` +
					"`selector` does not match template `labels`\n", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.bug != "" {
					t.Skip("BUG: " + tt.bug)
				}
				r := k.runIn(tt.stdin, append([]string{"-n", ns}, tt.args...)...)
				if tt.want == "" {
					if r.err != nil {
						t.Fatalf("%v\n%s", r.err, r.stderr)
					}
					return
				}
				if r.err == nil {
					t.Fatalf("kubectl succeeded, want an error; stdout:\n%s", r.stdout)
				}
				wantEqual(t, "stderr", r.stderr, tt.want)
			})
		}
	})
}
