package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKubeletBehaviour runs the kubelet's features on a real node, one
// subtest per feature in its own namespace, in parallel.
func TestKubeletBehaviour(t *testing.T) {
	c := startNode(t)
	k := newKubectl(t, c)
	until := func(t *testing.T, what string, timeout time.Duration, f func() error) {
		t.Helper()
		if err := eventually(context.Background(), timeout, f); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	jsonpath := func(k *kubectl, ns, pod, path string) string {
		return strings.TrimSpace(k.ok("get", "pod", "-n", ns, pod, "-o", "jsonpath="+path))
	}
	t.Run("liveness failure restarts the container", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("live")
		k.okIn(busyboxPod("p", c.nodeName, "touch /tmp/alive; exec sleep 3600", `    livenessProbe:
      exec: {command: ["cat", "/tmp/alive"]}
      periodSeconds: 1
      failureThreshold: 1
`), "apply", "-n", ns, "-f", "-")
		k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/p", "--timeout=60s")
		k.ok("exec", "-n", ns, "p", "--", "rm", "/tmp/alive")
		until(t, "restart after liveness failure", 60*time.Second, func() error {
			if got := jsonpath(k, ns, "p", "{.status.containerStatuses[0].restartCount}"); got != "1" {
				return fmt.Errorf("restartCount %q", got)
			}
			return nil
		})
		wantContains(t, "events", k.ok("get", "events", "-n", ns), "Liveness probe failed", "failed liveness probe, will be restarted")
	})
	t.Run("readiness flips the Ready condition", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("ready")
		k.okIn(busyboxPod("p", c.nodeName, "exec sleep 3600", `    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
`), "apply", "-n", ns, "-f", "-")
		ready := func(want string) func() error {
			return func() error {
				if got := jsonpath(k, ns, "p", `{.status.conditions[?(@.type=="Ready")].status}`); got != want {
					return fmt.Errorf("Ready=%q, want %q", got, want)
				}
				return nil
			}
		}
		until(t, "running but not ready", 60*time.Second, func() error {
			if jsonpath(k, ns, "p", "{.status.phase}") != "Running" {
				return fmt.Errorf("not running")
			}
			return ready("False")()
		})
		k.ok("exec", "-n", ns, "p", "--", "touch", "/tmp/ready")
		until(t, "ready", 30*time.Second, ready("True"))
		k.ok("exec", "-n", ns, "p", "--", "rm", "/tmp/ready")
		until(t, "unready again", 30*time.Second, ready("False"))
	})
	t.Run("a memory hog is OOMKilled", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("oom")
		k.okIn(`apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  nodeName: `+c.nodeName+`
  restartPolicy: Never
  containers:
  - name: main
    image: capstan.local/test/busybox:1
    imagePullPolicy: Never
    command: ["tail", "/dev/zero"]
    resources: {limits: {memory: 32Mi}}
`, "apply", "-n", ns, "-f", "-")
		until(t, "OOMKilled", 60*time.Second, func() error {
			got := jsonpath(k, ns, "hog", "{.status.phase} {.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode}")
			if got != "Failed OOMKilled 137" {
				return fmt.Errorf("pod state %q", got)
			}
			return nil
		})
	})
	t.Run("configMap volume updates in place and secrets live on tmpfs", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("vol")
		k.ok("create", "configmap", "-n", ns, "conf", "--from-literal=greeting=hello")
		k.ok("create", "secret", "generic", "-n", ns, "creds", "--from-literal=password=s3cret")
		k.okIn(busyboxPod("p", c.nodeName, "exec sleep 3600", `    volumeMounts:
    - {name: conf, mountPath: /etc/conf}
    - {name: creds, mountPath: /etc/creds}
  volumes:
  - {name: conf, configMap: {name: conf}}
  - {name: creds, secret: {secretName: creds}}
`), "apply", "-n", ns, "-f", "-")
		k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/p", "--timeout=60s")
		wantEqual(t, "configMap file", k.ok("exec", "-n", ns, "p", "--", "cat", "/etc/conf/greeting"), "hello")
		wantEqual(t, "secret file", k.ok("exec", "-n", ns, "p", "--", "cat", "/etc/creds/password"), "s3cret")
		mounts := k.ok("exec", "-n", ns, "p", "--", "grep", "/etc/creds", "/proc/mounts")
		wantContains(t, "secret mount", mounts, "tmpfs")
		k.ok("patch", "configmap", "-n", ns, "conf", "-p", `{"data":{"greeting":"bonjour"}}`)
		until(t, "configMap update reaches the running pod", 100*time.Second, func() error {
			if got := k.ok("exec", "-n", ns, "p", "--", "cat", "/etc/conf/greeting"); got != "bonjour" {
				return fmt.Errorf("greeting %q", got)
			}
			return nil
		})
	})
	t.Run("graceful termination runs preStop", func(t *testing.T) {
		t.Parallel()
		k := k.in(t)
		ns := k.namespace("stop")
		hostDir := t.TempDir()
		k.okIn(busyboxPod("p", c.nodeName, "trap 'echo got TERM >> /host/log; exit 0' TERM; while true; do sleep 0.1; done", `    lifecycle:
      preStop:
        exec: {command: ["sh", "-c", "echo preStop >> /host/log"]}
    volumeMounts: [{name: host, mountPath: /host}]
  volumes:
  - {name: host, hostPath: {path: `+hostDir+`}}
`), "apply", "-n", ns, "-f", "-")
		k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/p", "--timeout=60s")
		k.ok("delete", "pod", "-n", ns, "p", "--timeout=60s")
		b, err := os.ReadFile(filepath.Join(hostDir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "termination order", string(b), "preStop\ngot TERM\n")
	})
}
