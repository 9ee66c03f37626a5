package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestCommonManifests applies a broad set of everyday manifests (every
// workload kind, services of each type, RBAC, quota, storage, policy): the
// server must accept each as upstream does, and a second apply must change
// nothing except where upstream kubectl also reports "configured" (atomic
// lists the server defaults: StatefulSet volumeClaimTemplates, the PDB
// selector; a Secret's write-only stringData, which the server folds into
// data, so every patch sends it again).
func TestCommonManifests(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/common.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-manifests")
		manifests := strings.ReplaceAll(string(raw), "SUFFIX", versionedName("x", k.version))
		first := k.okIn(manifests, "-n", ns, "apply", "-f", "-")
		lines := strings.Split(strings.TrimSpace(first), "\n")
		if want := strings.Count(manifests, "\nkind: "); len(lines) != want {
			t.Fatalf("first apply printed %d lines for %d objects:\n%s", len(lines), want, first)
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, " created") {
				t.Errorf("first apply: %q, want created", l)
			}
		}
		second := k.okIn(manifests, "-n", ns, "apply", "-f", "-")
		for _, l := range strings.Split(strings.TrimSpace(second), "\n") {
			switch {
			case strings.HasSuffix(l, " unchanged"):
			case l == "statefulset.apps/db configured", l == "poddisruptionbudget.policy/db configured", l == "secret/s configured":
			// ServiceAccount admission appends the kube-api-access volume and
			// mounts: kubectl's three-way diff then sends $setElementOrder for
			// the volumes the manifest lists, as it does against upstream.
			case l == "pod/full configured":
			default:
				t.Errorf("second apply: %q, want unchanged", l)
			}
		}
		k.okIn(manifests, "-n", ns, "delete", "-f", "-")
	})
}
