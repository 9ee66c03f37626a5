package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestResourceQuota: a quota of pods=3 in a namespace; three pods are
// admitted, the fourth is refused through kubectl with upstream's message,
// get and describe print the usage as upstream, and deleting a pod frees
// its unit once the quota controller has recomputed the usage.
func TestResourceQuota(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		requireControllers(t, k, "the quota controller")
		ns := k.namespace("e2e-quota")
		wantEqual(t, "create quota", k.ok("-n", ns, "create", "quota", "compute-quota", "--hard=pods=3"),
			"resourcequota/compute-quota created\n")
		k.waitUsedPods(ns, "0")
		for i := 1; i <= 3; i++ {
			k.ok("-n", ns, "run", fmt.Sprintf("p%d", i), "--image=busybox", "--restart=Never")
		}
		wantEqual(t, "fourth pod", k.fails("-n", ns, "run", "p4", "--image=busybox", "--restart=Never"),
			`Error from server (Forbidden): pods "p4" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=3, limited: pods=3`+"\n")

		rows := fields(k.ok("-n", ns, "get", "quota"))
		if len(rows) != 2 || strings.Join(rows[0], " ") != "NAME AGE REQUEST LIMIT" ||
			rows[1][0] != "compute-quota" || strings.Join(rows[1][2:], " ") != "pods: 3/3" {
			t.Errorf("get quota = %q, want NAME AGE REQUEST LIMIT / compute-quota <age> pods: 3/3", rows)
		}
		var described []string
		for _, row := range fields(k.ok("-n", ns, "describe", "quota", "compute-quota")) {
			described = append(described, strings.Join(row, " "))
		}
		wantEqual(t, "describe quota", strings.Join(described, "\n"),
			"Name: compute-quota\nNamespace: "+ns+"\nResource Used Hard\n-------- ---- ----\npods 3 3")

		k.ok("-n", ns, "delete", "pod", "p1", "--grace-period=0", "--force")
		k.waitUsedPods(ns, "2")
		k.ok("-n", ns, "run", "p4", "--image=busybox", "--restart=Never")
		k.waitUsedPods(ns, "3")
	})
}

// waitUsedPods waits until the quota compute-quota reports used pods.
func (k *kubectl) waitUsedPods(ns, want string) {
	k.t.Helper()
	var got string
	err := eventually(context.Background(), 30*time.Second, func() error {
		got = k.ok("-n", ns, "get", "quota", "compute-quota", "-o", "jsonpath={.status.used.pods}")
		if got != want {
			return fmt.Errorf("used pods = %q", got)
		}
		return nil
	})
	if err != nil {
		k.t.Fatalf("quota usage: %v (want %s)", err, want)
	}
}
