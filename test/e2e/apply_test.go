package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// deploymentYAML is a Deployment "web" with one container of image.
func deploymentYAML(ns, name, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: %[2]s
  template:
    metadata:
      labels:
        app: %[2]s
    spec:
      containers:
      - name: web
        image: %[3]s
`, ns, name, image)
}

// TestApply applies a Deployment three times: created, then a change
// (client-side apply sends a patch), then no change.
func TestApply(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-apply")
		steps := []struct {
			image, want string
		}{
			{"nginx:1.25", "deployment.apps/web created\n"},
			{"nginx:1.26", "deployment.apps/web configured\n"},
			{"nginx:1.26", "deployment.apps/web unchanged\n"},
		}
		for _, s := range steps {
			got := k.okIn(deploymentYAML(ns, "web", s.image), "apply", "-f", "-")
			wantEqual(t, "apply "+s.image, got, s.want)
			image := k.ok("-n", ns, "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
			wantEqual(t, "image after apply", image, s.image)
		}
		last := k.ok("-n", ns, "get", "deployment", "web",
			"-o", `jsonpath={.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}`)
		wantContains(t, "last-applied-configuration", last, `"image":"nginx:1.26"`)
	})
}

// TestGetOutputFormats checks the table, wide, name, jsonpath, json and yaml
// outputs of kubectl get for a Deployment. It has no replicas, so what it
// prints does not depend on how far the controllers got.
func TestGetOutputFormats(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-get")
		k.okIn(strings.Replace(deploymentYAML(ns, "web", "nginx:1.25"), "replicas: 1", "replicas: 0", 1), "apply", "-f", "-")
		tables := []struct {
			name   string
			args   []string
			header string
			row    string // cells before AGE-like columns are dropped below
		}{
			{"table", nil, "NAME READY UP-TO-DATE AVAILABLE AGE", "web 0/0 0 0"},
			{"wide", []string{"-o", "wide"}, "NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR",
				"web 0/0 0 0 web nginx:1.25 app=web"},
		}
		for _, tt := range tables {
			rows := fields(k.ok(append([]string{"-n", ns, "get", "deployments"}, tt.args...)...))
			if len(rows) != 2 {
				t.Fatalf("get %s: want header and one row, got %q", tt.name, rows)
			}
			wantEqual(t, "get "+tt.name+" header", strings.Join(rows[0], " "), tt.header)
			row := append(append([]string{}, rows[1][:4]...), rows[1][5:]...) // drop AGE
			wantEqual(t, "get "+tt.name+" row", strings.Join(row, " "), tt.row)
		}
		wantEqual(t, "-o name", k.ok("-n", ns, "get", "deployments", "-o", "name"), "deployment.apps/web\n")
		wantEqual(t, "-o jsonpath", k.ok("-n", ns, "get", "deployment", "web",
			"-o", "jsonpath={.kind} {.metadata.name} {.spec.selector.matchLabels.app}"), "Deployment web web")

		var d appsv1.Deployment
		if err := json.Unmarshal([]byte(k.ok("-n", ns, "get", "deployment", "web", "-o", "json")), &d); err != nil {
			t.Fatalf("-o json is not a Deployment: %v", err)
		}
		if d.APIVersion != "apps/v1" || d.Kind != "Deployment" || d.Name != "web" || d.Namespace != ns ||
			d.UID == "" || d.ResourceVersion == "" || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.25" {
			t.Errorf("-o json: unexpected object %+v", d)
		}
		yaml := k.ok("-n", ns, "get", "deployment", "web", "-o", "yaml")
		wantContains(t, "-o yaml", yaml, "apiVersion: apps/v1\n", "kind: Deployment\n", "  name: web\n",
			"  namespace: "+ns+"\n", "  uid: "+string(d.UID)+"\n", "image: nginx:1.25\n")
		list := k.ok("-n", ns, "get", "deployments", "-o", "yaml")
		wantContains(t, "list -o yaml", list, "apiVersion: v1\n", "kind: List\n", "items:\n")
	})
}

// annotated is what kubectl annotate prints for the Deployment web: kubectl
// 1.27 prints the verb without its "d" (a client-side quirk of that release).
func annotated(version string) string {
	if version == "1.27" {
		return "deployment.apps/web annotate\n"
	}
	return "deployment.apps/web annotated\n"
}

// TestMutations covers label, annotate, the three patch types and scale.
func TestMutations(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-mut")
		k.okIn(deploymentYAML(ns, "web", "nginx:1.25"), "apply", "-f", "-")
		get := func(jsonpath string) string {
			return k.ok("-n", ns, "get", "deployment", "web", "-o", "jsonpath="+jsonpath)
		}
		steps := []struct {
			name     string
			args     []string
			want     string
			jsonpath string
			value    string
		}{
			{"label", []string{"label", "deployment", "web", "tier=front"},
				"deployment.apps/web labeled\n", "{.metadata.labels.tier}", "front"},
			{"label overwrite", []string{"label", "deployment", "web", "tier=back", "--overwrite"},
				"deployment.apps/web labeled\n", "{.metadata.labels.tier}", "back"},
			{"annotate", []string{"annotate", "deployment", "web", "e2e/note=hello"},
				annotated(k.version), `{.metadata.annotations.e2e/note}`, "hello"},
			{"patch merge", []string{"patch", "deployment", "web", "--type", "merge", "-p", `{"metadata":{"labels":{"m":"1"}}}`},
				"deployment.apps/web patched\n", "{.metadata.labels.m}", "1"},
			{"patch json", []string{"patch", "deployment", "web", "--type", "json",
				"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.26"}]`},
				"deployment.apps/web patched\n", "{.spec.template.spec.containers[*].image}", "nginx:1.26"},
			// A strategic merge patch merges containers by name: web stays, side is
			// added; without a $setElementOrder directive patch items come first.
			{"patch strategic", []string{"patch", "deployment", "web", "--type", "strategic",
				"-p", `{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}`},
				"deployment.apps/web patched\n", "{.spec.template.spec.containers[*].name}", "side web"},
			{"patch strategic no change", []string{"patch", "deployment", "web",
				"-p", `{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}`},
				"deployment.apps/web patched (no change)\n", "{.spec.template.spec.containers[*].image}", "busybox:1.36 nginx:1.26"},
			// A merge patch replaces the list.
			{"patch merge list", []string{"patch", "deployment", "web", "--type", "merge",
				"-p", `{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"nginx:1.27"}]}}}}`},
				"deployment.apps/web patched\n", "{.spec.template.spec.containers[*].name}", "only"},
			{"scale", []string{"scale", "deployment", "web", "--replicas=3"},
				"deployment.apps/web scaled\n", "{.spec.replicas}", "3"},
			{"scale current-replicas", []string{"scale", "deployment", "web", "--current-replicas=3", "--replicas=5"},
				"deployment.apps/web scaled\n", "{.spec.replicas}", "5"},
		}
		for _, s := range steps {
			wantEqual(t, s.name, k.ok(append([]string{"-n", ns}, s.args...)...), s.want)
			wantEqual(t, s.name+": "+s.jsonpath, get(s.jsonpath), s.value)
		}
		wantEqual(t, "scale with a wrong precondition",
			k.fails("-n", ns, "scale", "deployment", "web", "--current-replicas=1", "--replicas=2"),
			"error: Expected replicas to be 1, was 5\n")
	})
}
