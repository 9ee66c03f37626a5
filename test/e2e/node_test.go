package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/capstan/capstan/internal/agent/containerd"
	"github.com/capstan/capstan/test/images"
)

// podNetworks counts the pod networks handed out in this test process, so
// clusters running at once never share a bridge subnet.
var podNetworks atomic.Int32

// podNetwork returns a cluster CIDR no other cluster of this run uses.
func podNetwork() string {
	return fmt.Sprintf("10.%d.0.0/16", 100+podNetworks.Add(1))
}

// agentDir is where the server's own node keeps its state.
func (c *cluster) agentDir() string { return filepath.Join(c.dataDir, "agent") }

// removePods deletes every workload and pod and waits until the kubelet
// has removed them (sandboxes, network, volumes), so stopping the server
// leaves no containers behind; then the bridge goes when the server has
// stopped. Workloads go first, or their controllers would replace the pods.
func (c *cluster) removePods() {
	select {
	case <-c.exited:
		return // stopped on purpose by the test; a later instance cleans up
	default:
	}
	k := &kubectl{t: c.t, cluster: c, version: "1.33", path: filepath.Join(kubectlDir, "kubectl.1.33"), kubeconfig: c.kubeconfig, home: c.t.TempDir()}
	for _, args := range [][]string{
		{"delete", "cronjobs,jobs,deployments,replicasets,replicationcontrollers,statefulsets,daemonsets", "--all", "--all-namespaces", "--cascade=foreground", "--timeout=90s"},
		{"delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--timeout=90s"},
	} {
		if r := k.run(args...); r.err != nil {
			c.t.Errorf("clean up before stopping: kubectl %s: %v: %s", strings.Join(args, " "), r.err, r.stderr)
		}
	}
	bridge := containerd.NamesForConfDir(filepath.Join(c.agentDir(), "cni", "net.d")).Bridge
	c.t.Cleanup(func() {
		if exec.Command("ip", "link", "show", bridge).Run() == nil {
			if out, err := exec.Command("ip", "link", "del", bridge).CombinedOutput(); err != nil {
				c.t.Errorf("delete bridge %s: %v: %s", bridge, err, out)
			}
		}
	})
}

// busyboxV2 is the busybox image under a second tag, to roll out to.
const busyboxV2 = "capstan.local/test/busybox:2"

// startNode starts a server with its own node, waits for the node to be
// Ready and imports the busybox test image. extraArgs go to the server.
func startNode(t testing.TB, extraArgs ...string) *cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a node needs root (containerd, network)")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: run scripts/install-deps.sh")
	}
	c := startCluster(t, serverOptions{agent: true, extraArgs: extraArgs})
	k := newKubectl(t, c)
	// kubectl wait fails at once on a node that has not registered yet.
	if err := eventually(context.Background(), 60*time.Second, func() error { return k.run("get", "node", c.nodeName).err }); err != nil {
		t.Fatalf("node %s never registered: %v", c.nodeName, err)
	}
	k.ok("wait", "--for=condition=Ready", "node/"+c.nodeName, "--timeout=60s")
	importBusybox(t, c.agentDir())
	return c
}

// busyboxPod is a pod on node running sh -c script.
func busyboxPod(name, node, script string, extra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: %s
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: %s
    imagePullPolicy: Never
    command: ["sh", "-c", %q]
%s`, name, node, images.BusyboxRef, script, extra)
}

// TestPodsOnRealNode runs pods through the server's own node on real
// containerd and drives them with kubectl: logs, exec (WebSocket with 1.33,
// SPDY with 1.27), stdin, port-forward, a crash loop and deletion.
func TestPodsOnRealNode(t *testing.T) {
	c := startNode(t)
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("node")
		name := versionedName("counter", k.version)
		k.okIn(busyboxPod(name, c.nodeName, "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done", ""), "apply", "-n", ns, "-f", "-")
		k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/"+name, "--timeout=60s")
		err := eventually(context.Background(), 20*time.Second, func() error {
			if out := k.ok("logs", "-n", ns, name, "--tail=1"); !strings.HasPrefix(out, "line ") {
				return fmt.Errorf("logs --tail=1 printed %q", out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, stream := range [][]string{{"logs", "-f", "--tail=1"}, {"attach"}} {
			// Both stream until stopped: the counter prints five lines a second.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			cmd := k.command(ctx, append(append([]string{}, stream...), "-n", ns, name)...)
			out, _ := cmd.Output()
			cancel()
			if n := strings.Count(string(out), "line "); n < 3 {
				t.Errorf("kubectl %s streamed %d lines in 3s, want several:\n%s", stream[0], n, out)
			}
		}
		wantEqual(t, "exec", k.ok("exec", "-n", ns, name, "--", "sh", "-c", "echo $HOSTNAME"), name+"\n")
		wantEqual(t, "exec with stdin", k.okIn("from stdin\n", "exec", "-i", "-n", ns, name, "--", "cat"), "from stdin\n")
		r := k.run("exec", "-n", ns, name, "--", "sh", "-c", "exit 3")
		if r.err == nil || !strings.Contains(r.stderr, "command terminated with exit code 3") {
			t.Errorf("exec exit code: %v %q", r.err, r.stderr)
		}
		local := filepath.Join(t.TempDir(), "payload.txt")
		if err := os.WriteFile(local, []byte("copied through exec and tar\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		k.ok("cp", local, ns+"/"+name+":/tmp/payload.txt")
		wantEqual(t, "kubectl cp into the pod", k.ok("exec", "-n", ns, name, "--", "cat", "/tmp/payload.txt"), "copied through exec and tar\n")
		back := filepath.Join(t.TempDir(), "back.txt")
		k.ok("cp", ns+"/"+name+":/tmp/payload.txt", back)
		if b, err := os.ReadFile(back); err != nil || string(b) != "copied through exec and tar\n" {
			t.Errorf("kubectl cp out of the pod: %q %v", b, err)
		}
		ip := strings.TrimSpace(k.ok("get", "pod", "-n", ns, name, "-o", "jsonpath={.status.podIP}"))
		wantContains(t, "pod IP in the pod network", ip, "10.")
		k.ok("delete", "pod", "-n", ns, name, "--timeout=60s")
	})
}

// TestPortForwardAndCrashLoop forwards a local port to an httpd in a pod,
// and watches a crashing container go into CrashLoopBackOff.
func TestPortForwardAndCrashLoop(t *testing.T) {
	c := startNode(t)
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("pf")
		k.okIn(busyboxPod("web", c.nodeName, "mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 8080 -h /www", ""), "apply", "-n", ns, "-f", "-")
		k.okIn(busyboxPod("crash", c.nodeName, "echo dying; exit 2", ""), "apply", "-n", ns, "-f", "-")
		k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/web", "--timeout=60s")
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pf := k.command(ctx, "port-forward", "-n", ns, "pod/web", strconv.Itoa(port)+":8080")
		if err := pf.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = pf.Wait() }()
		err = eventually(ctx, 20*time.Second, func() error {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "served\n" {
				return fmt.Errorf("got %q", body)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("port-forward: %v", err)
		}
		err = eventually(context.Background(), 60*time.Second, func() error {
			out := k.ok("get", "pod", "-n", ns, "crash", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[0].restartCount}")
			f := strings.Fields(out)
			if len(f) != 3 || f[0] != "CrashLoopBackOff" || f[1] != "2" || f[2] == "0" {
				return fmt.Errorf("crashing pod state %q", out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "logs --previous", k.ok("logs", "-n", ns, "crash", "--previous"), "dying\n")
		wantContains(t, "describe", k.ok("describe", "pod", "-n", ns, "crash"), "Back-off restarting failed container main")
	})
}

// TestAgentRestartKeepsPods restarts `capstan server` (and so its node
// agent and containerd) with ten pods running: every container survives,
// none restarts.
func TestAgentRestartKeepsPods(t *testing.T) {
	first := startNode(t)
	k := &kubectl{t: t, cluster: first, version: "1.33", path: filepath.Join(kubectlDir, "kubectl.1.33"), kubeconfig: first.kubeconfig, home: t.TempDir()}
	var manifests strings.Builder
	for i := range 10 {
		manifests.WriteString(busyboxPod(fmt.Sprintf("keep-%d", i), first.nodeName, "exec sleep 3600", "") + "---\n")
	}
	k.okIn(manifests.String(), "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pods", "--all", "--timeout=90s")
	ids := func() string {
		return k.ok("get", "pods", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[0].containerID}/{.status.containerStatuses[0].restartCount}{"\n"}{end}`)
	}
	before := ids()
	if n := strings.Count(before, "containerd://"); n != 10 || strings.Count(before, "/0\n") != 10 {
		t.Fatalf("before the restart: %d running containers without restarts, want 10:\n%s", n, before)
	}
	if _, err := first.stop(); err != nil {
		t.Fatalf("stop server: %v", err)
	}
	second := startCluster(t, serverOptions{dataDir: first.dataDir, port: first.port, agent: true})
	k.cluster = second
	err := eventually(context.Background(), 60*time.Second, func() error {
		out := k.ok("get", "node", second.nodeName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if out != "True" {
			return fmt.Errorf("node Ready=%q", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k.ok("wait", "--for=condition=Ready", "pods", "--all", "--timeout=90s")
	// A few relists after the restart: nothing may have been restarted.
	time.Sleep(3 * time.Second)
	wantEqual(t, "containers after the restart", ids(), before)
}
