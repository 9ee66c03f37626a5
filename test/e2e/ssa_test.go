package e2e

import (
	"strings"
	"testing"
)

// TestServerSideApply: kubectl apply --server-side creates and updates, a
// second manager conflicts on a field the first owns (upstream's message),
// and --force-conflicts takes it over.
func TestServerSideApply(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-ssa")
		manifest := deploymentYAML(ns, "ssa", "nginx:1.25")
		wantEqual(t, "first server-side apply", k.okIn(manifest, "apply", "--server-side", "-f", "-"), "deployment.apps/ssa serverside-applied\n")
		changed := strings.Replace(manifest, "replicas: 1", "replicas: 3", 1)
		wantEqual(t, "same manager changes replicas", k.okIn(changed, "apply", "--server-side", "-f", "-"), "deployment.apps/ssa serverside-applied\n")
		other := strings.Replace(manifest, "replicas: 1", "replicas: 5", 1)
		res := k.runIn(other, "apply", "--server-side", "--field-manager=other", "-f", "-")
		if res.err == nil {
			t.Fatalf("conflicting apply succeeded: %s", res.stdout)
		}
		wantContains(t, "conflict", res.stderr, `Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas`)
		wantEqual(t, "forced apply", k.okIn(other, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"), "deployment.apps/ssa serverside-applied\n")
		wantEqual(t, "replicas", k.ok("-n", ns, "get", "deployment", "ssa", "-o", "jsonpath={.spec.replicas}"), "5")

		// Scaling takes spec.replicas over: the owner's next apply conflicts.
		k.ok("-n", ns, "scale", "deployment", "ssa", "--replicas=2")
		res = k.runIn(other, "apply", "--server-side", "--field-manager=other", "-f", "-")
		if res.err == nil {
			t.Fatalf("apply after scale did not conflict: %s", res.stdout)
		}
		wantContains(t, "conflict after scale", res.stderr, "Apply failed with 1 conflict", ".spec.replicas")
	})
}
