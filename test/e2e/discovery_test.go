package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestClusterInfo(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		// kubectl 1.27 colours the line even through a pipe; 1.33 does not.
		out := stripANSI(k.ok("cluster-info"))
		wantContains(t, "cluster-info", out,
			"Kubernetes control plane is running at "+c.url()+"\n",
			"To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n")
	})
}

func TestAPIVersions(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		lines := strings.Split(strings.TrimSpace(k.ok("api-versions")), "\n")
		if !slices.IsSorted(lines) {
			t.Errorf("api-versions not sorted as kubectl sorts them: %q", lines)
		}
		for _, want := range []string{"v1", "apps/v1", "batch/v1", "coordination.k8s.io/v1",
			"networking.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1"} {
			if !slices.Contains(lines, want) {
				t.Errorf("api-versions lacks %q: %q", want, lines)
			}
		}
	})
}

func TestAPIResources(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		rows := fields(k.ok("api-resources"))
		wantEqual(t, "api-resources header", strings.Join(rows[0], " "), "NAME SHORTNAMES APIVERSION NAMESPACED KIND")
		tests := []struct{ row string }{
			{"configmaps cm v1 true ConfigMap"},
			{"namespaces ns v1 false Namespace"},
			{"pods po v1 true Pod"},
			{"services svc v1 true Service"},
			{"deployments deploy apps/v1 true Deployment"},
			{"jobs batch/v1 true Job"},
			{"leases coordination.k8s.io/v1 true Lease"},
			{"clusterroles rbac.authorization.k8s.io/v1 false ClusterRole"},
		}
		for _, tt := range tests {
			found := slices.ContainsFunc(rows, func(r []string) bool { return strings.Join(r, " ") == tt.row })
			if !found {
				t.Errorf("api-resources has no row %q", tt.row)
			}
		}
		names := strings.Split(strings.TrimSpace(k.ok("api-resources", "--api-group=apps", "-o", "name")), "\n")
		for _, want := range []string{"deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps"} {
			if !slices.Contains(names, want) {
				t.Errorf("api-resources --api-group=apps -o name lacks %q: %q", want, names)
			}
		}
	})
}

func TestNamespaces(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-ns")
		rows := fields(k.ok("get", "namespace", ns))
		wantEqual(t, "get ns header", strings.Join(rows[0], " "), "NAME STATUS AGE")
		if len(rows) != 2 || rows[1][0] != ns || rows[1][1] != "Active" {
			t.Errorf("get ns rows = %q, want one Active row for %s", rows, ns)
		}
		wantEqual(t, "get ns -o name", k.ok("get", "namespace", ns, "-o", "name"), "namespace/"+ns+"\n")
		all := k.ok("get", "namespaces", "-o", "name")
		wantContains(t, "get namespaces", all, "namespace/default\n", "namespace/kube-system\n",
			"namespace/kube-public\n", "namespace/kube-node-lease\n")
		wantEqual(t, "create existing namespace", k.fails("create", "namespace", ns),
			"Error from server (AlreadyExists): namespaces \""+ns+"\" already exists\n")

		t.Run("delete", func(t *testing.T) {
			k := k.in(t)
			requireControllers(t, k, "kubectl delete namespace")
			k.ok("-n", ns, "create", "configmap", "content", "--from-literal=a=1")
			// kubectl waits until the namespace controller has emptied and removed it.
			wantEqual(t, "delete ns", k.ok("delete", "namespace", ns, "--timeout=60s"), "namespace \""+ns+"\" deleted\n")
			wantEqual(t, "get deleted ns", k.fails("get", "namespace", ns),
				"Error from server (NotFound): namespaces \""+ns+"\" not found\n")
		})
	})
}

// stripANSI removes terminal colour sequences.
func stripANSI(s string) string {
	return regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(s, "")
}
