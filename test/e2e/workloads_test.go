package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWorkloadsOnRealNode drives the workload controllers through kubectl
// on a real node: a Deployment rolls out, rolls forward, is undone, scaled
// and survives a drain; a CronJob fires and its Job completes.
func TestWorkloadsOnRealNode(t *testing.T) {
	c := startNode(t)
	k := newKubectl(t, c)
	t.Run("cronjob fires", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("cron")
		k.okIn(`apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - {name: main, image: capstan.local/test/busybox:1, imagePullPolicy: Never, command: ["echo", "tick"]}
`, "apply", "-n", ns, "-f", "-")
		err := eventually(context.Background(), 150*time.Second, func() error {
			out := k.ok("get", "jobs", "-n", ns, "-o", `jsonpath={range .items[*]}{.status.succeeded}{"\n"}{end}`)
			if !strings.Contains(out, "1") {
				return fmt.Errorf("no completed job yet: %q", out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantContains(t, "cronjob events", k.ok("get", "events", "-n", ns), "SuccessfulCreate", "SawCompletedJob")
	})
	t.Run("deployment rollout, undo, scale and drain", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("deploy")
		k.okIn(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: capstan.local/test/busybox:1
        imagePullPolicy: Never
        command: ["sleep", "3600"]
`, "apply", "-n", ns, "-f", "-")
		k.ok("rollout", "status", "-n", ns, "deployment/web", "--timeout=120s")
		k.ok("set", "image", "-n", ns, "deployment/web", "main="+busyboxV2)
		k.ok("rollout", "status", "-n", ns, "deployment/web", "--timeout=120s")
		// Old pods may still be terminating right after the rollout.
		err := eventually(context.Background(), 30*time.Second, func() error {
			got := k.ok("get", "pods", "-n", ns, "-l", "app=web", "-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
			if got != busyboxV2+"\n"+busyboxV2+"\n" {
				return fmt.Errorf("pod images %q", got)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("after the rollout: %v", err)
		}
		history := k.ok("rollout", "history", "-n", ns, "deployment/web")
		wantContains(t, "rollout history", history, "1 ", "2 ")
		k.ok("rollout", "undo", "-n", ns, "deployment/web")
		k.ok("rollout", "status", "-n", ns, "deployment/web", "--timeout=120s")
		wantEqual(t, "image after undo", k.ok("get", "deployment", "-n", ns, "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"), "capstan.local/test/busybox:1")
		k.ok("scale", "-n", ns, "deployment/web", "--replicas=3")
		k.ok("rollout", "status", "-n", ns, "deployment/web", "--timeout=120s")
		wantEqual(t, "ready replicas", k.ok("get", "deployment", "-n", ns, "web", "-o", "jsonpath={.status.readyReplicas}"), "3")

		k.ok("drain", c.nodeName, "--ignore-daemonsets", "--delete-emptydir-data", "--grace-period=1", "--timeout=120s", "--pod-selector=app=web")
		wantContains(t, "drained node", k.ok("get", "node", c.nodeName), "SchedulingDisabled")
		k.ok("uncordon", c.nodeName)
		k.ok("rollout", "status", "-n", ns, "deployment/web", "--timeout=120s")
		wantEqual(t, "ready after drain", k.ok("get", "deployment", "-n", ns, "web", "-o", "jsonpath={.status.readyReplicas}"), "3")
	})
}
