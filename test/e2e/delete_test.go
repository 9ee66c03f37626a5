package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// childYAML is a ConfigMap owned by the Deployment web (uid).
func childYAML(ns, uid string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: child
  namespace: %s
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    uid: %s
    controller: true
    blockOwnerDeletion: true
data:
  a: "1"
`, ns, uid)
}

func TestDeleteCascade(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		tests := []struct {
			cascade     string
			needsGC     bool
			childRemain bool
		}{
			{"background", false, false},
			{"foreground", true, false},
			{"orphan", true, true},
		}
		for _, tt := range tests {
			t.Run(tt.cascade, func(t *testing.T) {
				k := k.in(t)
				if tt.needsGC {
					requireControllers(t, k, "kubectl delete --cascade="+tt.cascade)
				}
				ns := k.namespace("e2e-del-" + tt.cascade)
				k.okIn(deploymentYAML(ns, "web", "nginx:1.25"), "apply", "-f", "-")
				uid := k.ok("-n", ns, "get", "deployment", "web", "-o", "jsonpath={.metadata.uid}")
				k.okIn(childYAML(ns, uid), "create", "-f", "-")

				got := k.ok("-n", ns, "delete", "deployment", "web", "--cascade="+tt.cascade)
				wantEqual(t, "delete", got, "deployment.apps \"web\" deleted\n")
				wantEqual(t, "get deleted", k.fails("-n", ns, "get", "deployment", "web"),
					"Error from server (NotFound): deployments.apps \"web\" not found\n")
				k.expectChild(ns, tt.needsGC, tt.childRemain)
			})
		}
	})
}

// expectChild checks what became of the ConfigMap child after its owner was
// deleted. Without a garbage collector (background case before controllers
// exist) nothing is asserted about it.
func (k *kubectl) expectChild(ns string, gcRunning, remain bool) {
	k.t.Helper()
	if !gcRunning && !controllersRunning(k) {
		return
	}
	if remain {
		err := eventually(context.Background(), 30*time.Second, func() error {
			refs := k.ok("-n", ns, "get", "configmap", "child", "-o", "jsonpath={.metadata.ownerReferences}")
			if refs != "" {
				return fmt.Errorf("orphaned child still has ownerReferences %s", refs)
			}
			return nil
		})
		if err != nil {
			k.t.Error(err)
		}
		return
	}
	err := eventually(context.Background(), 30*time.Second, func() error {
		r := k.run("-n", ns, "get", "configmap", "child", "-o", "name")
		if r.err == nil || !strings.Contains(r.stderr, "NotFound") {
			return fmt.Errorf("child still exists after its owner was deleted: %s%s", r.stdout, r.stderr)
		}
		return nil
	})
	if err != nil {
		k.t.Error(err)
	}
}
