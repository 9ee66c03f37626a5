package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/capstan/capstan/test/images"
)

// netnsNodes counts the namespaces made by this test process.
var netnsNodes atomic.Int32

// netnsNode is a network namespace standing for another machine: a veth
// pair links it to the host (/30), and its default route points back.
type netnsNode struct {
	name           string
	hostIP, nodeIP string
}

// newNetnsNode creates the namespace; t.Cleanup deletes it (and with it
// every interface inside, including the node's bridge and the veth pair).
func newNetnsNode(t testing.TB) *netnsNode {
	t.Helper()
	// A fresh index per call: a deleted namespace's veth goes away
	// asynchronously, so names are never reused within a run.
	index := 1 + (os.Getpid()%50)*5 + int(netnsNodes.Add(1)%5)
	n := &netnsNode{
		name:   fmt.Sprintf("capstan-e2e-%d-%d", os.Getpid()%10000, index),
		hostIP: fmt.Sprintf("10.250.%d.1", index), nodeIP: fmt.Sprintf("10.250.%d.2", index),
	}
	hostIf, nodeIf := fmt.Sprintf("vce%dh", index), fmt.Sprintf("vce%dn", index)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", n.name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("delete netns %s: %v: %s", n.name, err, out)
		}
	})
	run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nodeIf)
	run("ip", "link", "set", nodeIf, "netns", n.name)
	run("ip", "addr", "add", n.hostIP+"/30", "dev", hostIf)
	run("ip", "link", "set", hostIf, "up")
	in := func(args ...string) { run(append([]string{"ip", "netns", "exec", n.name}, args...)...) }
	in("ip", "addr", "add", n.nodeIP+"/30", "dev", nodeIf)
	in("ip", "link", "set", nodeIf, "up")
	in("ip", "link", "set", "lo", "up")
	in("ip", "route", "add", "default", "via", n.hostIP)
	return n
}

// joinAgent runs `capstan agent` inside the node's namespace (through
// nsenter: `ip netns exec` would remount /sys and hide the cgroups).
func joinAgent(t testing.TB, n *netnsNode, serverURL, token, nodeName, dataDir string, extraArgs ...string) (pid int) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "agent.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	args := append([]string{"--net=/run/netns/" + n.name, os.Getenv(binaryEnv), "agent", "--server", serverURL, "--token", token,
		"--data-dir", dataDir, "--node-name", nodeName, "--node-ip", n.nodeIP}, extraArgs...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("agent did not stop on SIGTERM")
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("agent log:\n%s", b)
		}
	})
	return cmd.Process.Pid
}

// joined is a server without a node of its own plus one agent joined from
// a network namespace, with the busybox image imported.
type joined struct {
	c                  *cluster
	k                  *kubectl
	nodeName, agentDir string
	// nodeIP is the joined node's address, hostIP the host's end of its veth.
	nodeIP, hostIP string
	// netns is the joined node's network namespace.
	netns    string
	agentPID int
}

func joinNode(t testing.TB) *joined { return joinCluster(t, false) }

// joinCluster starts a server (with its own node on the veth's host
// address when serverNode) and joins a second node from a network
// namespace; both nodes get the busybox images and nodeArgs.
func joinCluster(t testing.TB, serverNode bool, nodeArgs ...string) *joined {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces and containerd")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: run scripts/install-deps.sh")
	}
	n := newNetnsNode(t)
	// The server starts after the veth exists, so its certificate covers
	// the address the node reaches it by.
	opts := serverOptions{bindAll: true, agent: serverNode, extraArgs: nodeArgs}
	if serverNode {
		opts.nodeIP = n.hostIP
	}
	c := startCluster(t, opts)
	out, err := exec.Command(os.Getenv(binaryEnv), "token", "create", "--data-dir", c.dataDir, "--description", "e2e join").CombinedOutput()
	if err != nil {
		t.Fatalf("capstan token create: %v: %s", err, out)
	}
	j := &joined{c: c, nodeName: "e2e-joined-" + strconv.Itoa(c.port), agentDir: t.TempDir(), nodeIP: n.nodeIP, hostIP: n.hostIP, netns: n.name}
	j.agentPID = joinAgent(t, n, "https://"+net.JoinHostPort(n.hostIP, strconv.Itoa(c.port)), strings.TrimSpace(string(out)), j.nodeName, j.agentDir, nodeArgs...)
	j.k = newKubectl(t, c)
	nodes := []string{j.nodeName}
	if serverNode {
		nodes = append(nodes, c.nodeName)
	}
	for _, name := range nodes {
		if err := eventually(context.Background(), 60*time.Second, func() error { return j.k.run("get", "node", name).err }); err != nil {
			t.Fatalf("node %s never registered: %v", name, err)
		}
		j.k.ok("wait", "--for=condition=Ready", "node/"+name, "--timeout=60s")
	}
	wantContains(t, "node address", j.k.ok("get", "node", j.nodeName, "-o", "jsonpath={.status.addresses}"), n.nodeIP)
	importBusybox(t, j.agentDir)
	// Workloads and pods go before the joined agent stops, or their
	// containers would outlive it.
	t.Cleanup(c.removePods)
	return j
}

// importBusybox loads both busybox test tags into the node at agentDir.
func importBusybox(t testing.TB, agentDir string) {
	t.Helper()
	dir := t.TempDir()
	for _, ref := range []string{images.BusyboxRef, busyboxV2} {
		img, err := images.BuildBusyboxAs(dir, ref)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(os.Getenv(binaryEnv), "images", "import", "--data-dir", agentDir, img.Tar).CombinedOutput()
		if err != nil {
			t.Fatalf("capstan images import: %v: %s", err, out)
		}
		wantContains(t, "images import", string(out), ref)
	}
}

// TestAgentJoinsWithToken joins a second node, living in a network
// namespace, with a join token (TLS bootstrap through CSRs), and runs a pod
// on it that kubectl reaches for logs and exec through its kubelet.
func TestAgentJoinsWithToken(t *testing.T) {
	j := joinNode(t)
	k := j.k
	wantContains(t, "approved CSRs", k.ok("get", "csr"), "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "Approved,Issued")
	k.okIn(busyboxPod("remote", j.nodeName, "echo hello from the joined node; exec sleep 3600", ""), "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pod/remote", "--timeout=60s")
	wantEqual(t, "logs from the joined node", k.ok("logs", "remote"), "hello from the joined node\n")
	wantEqual(t, "exec on the joined node", k.ok("exec", "remote", "--", "cat", "/etc/hostname"), "remote\n")
}
