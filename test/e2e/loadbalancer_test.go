package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLoadBalancerService: on the server's own node, whose address is the
// host end of a veth, a LoadBalancer Service gets that address as ingress
// (ipMode VIP), answers on it at the service port from the host, and loses
// the ingress when it stops being a LoadBalancer.
func TestLoadBalancerService(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a node needs root (containerd, network)")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: run scripts/install-deps.sh")
	}
	n := newNetnsNode(t)
	c := startCluster(t, serverOptions{agent: true, bindAll: true, nodeIP: n.hostIP})
	k := newKubectl(t, c)
	if err := eventually(context.Background(), 60*time.Second, func() error { return k.run("get", "node", c.nodeName).err }); err != nil {
		t.Fatalf("node %s never registered: %v", c.nodeName, err)
	}
	k.ok("wait", "--for=condition=Ready", "node/"+c.nodeName, "--timeout=60s")
	importBusybox(t, c.agentDir())
	t.Cleanup(c.removePods)
	checkLoadBalancer(t, c, k, c.nodeName, n.hostIP)
}

// TestLoadBalancerServiceOnJoinedNode is the same on a node joined from a
// network namespace, reached from the host at its veth address.
func TestLoadBalancerServiceOnJoinedNode(t *testing.T) {
	j := joinNode(t)
	checkLoadBalancer(t, j.c, j.k, j.nodeName, j.nodeIP)
}

// checkLoadBalancer runs a web pod on node and a LoadBalancer Service for
// it, and checks the ingress (nodeIP, VIP), the traffic from the host to
// nodeIP at the service port, the events, and the cleanup on a type change.
func checkLoadBalancer(t *testing.T, c *cluster, k *kubectl, node, nodeIP string) {
	t.Helper()
	k.okIn(webPod("lb-web", node, "app: lb-web")+`---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: lb-web}
  ports: [{name: http, port: 8081, targetPort: http}]
`, "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pod/lb-web", "--timeout=90s")

	var ingress string
	err := eventually(context.Background(), 30*time.Second, func() error {
		ingress = k.ok("get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}/{.status.loadBalancer.ingress[*].ipMode}")
		if ingress != nodeIP+"/VIP" {
			return fmt.Errorf("ingress %q, want %s/VIP", ingress, nodeIP)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "kubectl get svc", k.ok("get", "svc", "lb"), nodeIP)

	err = eventually(context.Background(), 30*time.Second, func() error {
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + net.JoinHostPort(nodeIP, "8081") + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if name := strings.TrimSpace(string(b)); name != "lb-web" {
			return fmt.Errorf("answer %q", b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load-balancer address %s:8081 from the host: %v", nodeIP, err)
	}
	err = eventually(context.Background(), 30*time.Second, func() error {
		reasons := k.ok("get", "events", "--field-selector", "involvedObject.name=lb", "-o", "jsonpath={.items[*].reason}")
		if !strings.Contains(reasons, "EnsuringLoadBalancer") || !strings.Contains(reasons, "EnsuredLoadBalancer") {
			return fmt.Errorf("event reasons %q", reasons)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	k.ok("patch", "svc", "lb", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/type","value":"ClusterIP"},{"op":"remove","path":"/spec/allocateLoadBalancerNodePorts"},{"op":"remove","path":"/spec/externalTrafficPolicy"},{"op":"remove","path":"/spec/ports/0/nodePort"}]`)
	err = eventually(context.Background(), 30*time.Second, func() error {
		if ing := k.ok("get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress}"); ing != "" {
			return fmt.Errorf("ingress still %s", ing)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLoadBalancerPool: a server started with --service-lb-pool gives each
// LoadBalancer Service an address of the pool (the lowest free one, or the
// one it asks for by annotation), leaves Services of another
// loadBalancerClass alone, and the proxy forwards traffic for the pool
// addresses: from the host, and from a client on the node's network (a
// namespace whose default route is the node) as an external client would.
// The pool is routed to the node's veth here, as a LAN router would route
// it to the node.
func TestLoadBalancerPool(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a node needs root (containerd, network)")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: run scripts/install-deps.sh")
	}
	n := newNetnsNode(t)
	third := strings.Split(n.hostIP, ".")[2] // the node's index, unique per run
	sub := "10.251." + third + "."
	hostIf := "vce" + third + "h" // see newNetnsNode
	route := []string{"route", "replace", sub + "0/24", "dev", hostIf}
	if out, err := exec.Command("ip", route...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(route, " "), err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "route", "del", sub+"0/24", "dev", hostIf).Run() })

	c := startCluster(t, serverOptions{agent: true, bindAll: true, nodeIP: n.hostIP,
		extraArgs: []string{"--service-lb-pool", sub + "10-" + sub + "11," + sub + "32/30"}})
	k := newKubectl(t, c)
	if err := eventually(context.Background(), 60*time.Second, func() error { return k.run("get", "node", c.nodeName).err }); err != nil {
		t.Fatalf("node %s never registered: %v", c.nodeName, err)
	}
	k.ok("wait", "--for=condition=Ready", "node/"+c.nodeName, "--timeout=60s")
	importBusybox(t, c.agentDir())
	t.Cleanup(c.removePods)

	k.okIn(webPod("pool-web", c.nodeName, "app: pool-web")+fmt.Sprintf(`---
apiVersion: v1
kind: Service
metadata: {name: pool-other}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/other
  selector: {app: pool-web}
  ports: [{name: http, port: 8081, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: pool-a}
spec:
  type: LoadBalancer
  selector: {app: pool-web}
  ports: [{name: http, port: 8081, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata:
  name: pool-b
  annotations: {capstan.io/loadBalancerIPs: "%s33"}
spec:
  type: LoadBalancer
  selector: {app: pool-web}
  ports: [{name: http, port: 8082, targetPort: http}]
`, sub), "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pod/pool-web", "--timeout=90s")

	for svc, want := range map[string]string{"pool-a": sub + "10/VIP", "pool-b": sub + "33/VIP"} {
		err := eventually(context.Background(), 30*time.Second, func() error {
			got := k.ok("get", "svc", svc, "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}/{.status.loadBalancer.ingress[*].ipMode}")
			if got != want {
				return fmt.Errorf("ingress %q, want %s", got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("service %s: %v", svc, err)
		}
	}

	get := func(addr string) error {
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + addr + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if name := strings.TrimSpace(string(b)); name != "pool-web" {
			return fmt.Errorf("answer %q", b)
		}
		return nil
	}
	if err := eventually(context.Background(), 30*time.Second, func() error { return get(sub + "10:8081") }); err != nil {
		t.Fatalf("pool address %s10:8081 from the host: %v", sub, err)
	}
	err := eventually(context.Background(), 30*time.Second, func() error {
		out, err := exec.Command("ip", "netns", "exec", n.name, "curl", "-sS", "-m", "3", "http://"+sub+"33:8082/").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		if strings.TrimSpace(string(out)) != "pool-web" {
			return fmt.Errorf("answer %q", out)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("pool address %s33:8082 from a client on the node's network: %v", sub, err)
	}
	// Another implementation's Service: by now the controller has long
	// seen it (it was created first), and it must still have no ingress.
	if ing := k.ok("get", "svc", "pool-other", "-o", "jsonpath={.status.loadBalancer.ingress}"); ing != "" {
		t.Errorf("service of another loadBalancerClass got ingress %s", ing)
	}
}

// TestServiceLBPoolFlagRejected: a malformed --service-lb-pool stops the
// server at start with an error naming the flag and the fault.
func TestServiceLBPoolFlagRejected(t *testing.T) {
	for _, tc := range []struct{ pool, want string }{
		{"192.168.50.20-192.168.50.10", "first address after last"},
		{"192.168.50.0/24,192.168.50.10-192.168.50.20", "overlap"},
		{"192.168.50.300", `"192.168.50.300"`},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, os.Getenv(binaryEnv), "server", "--data-dir", t.TempDir(),
			"--disable-agent", "--service-lb-pool", tc.pool).CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		if err == nil || timedOut {
			t.Fatalf("--service-lb-pool %q: server did not fail at start (err %v): %s", tc.pool, err, out)
		}
		wantContains(t, "server output", string(out), "--service-lb-pool", tc.want)
	}
}

// TestDisableServiceLB: with --disable-service-lb no controller publishes
// load-balancer addresses, though a Ready node would give one. Proof that
// the controllers saw the Service: the endpoints controller made its
// EndpointSlice; the built-in load balancer would have answered within the
// same second, and a few more pass.
func TestDisableServiceLB(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a node needs root (containerd, network)")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: run scripts/install-deps.sh")
	}
	c := startCluster(t, serverOptions{agent: true, extraArgs: []string{"--disable-service-lb"}})
	k := newKubectl(t, c)
	if err := eventually(context.Background(), 60*time.Second, func() error { return k.run("get", "node", c.nodeName).err }); err != nil {
		t.Fatalf("node %s never registered: %v", c.nodeName, err)
	}
	k.ok("wait", "--for=condition=Ready", "node/"+c.nodeName, "--timeout=60s")
	k.okIn(`apiVersion: v1
kind: Service
metadata: {name: lb-off}
spec:
  type: LoadBalancer
  selector: {app: lb-off}
  ports: [{port: 80}]
`, "apply", "-f", "-")
	err := eventually(context.Background(), 60*time.Second, func() error {
		if out := k.ok("get", "endpointslices", "-l", "kubernetes.io/service-name=lb-off", "-o", "name"); out == "" {
			return fmt.Errorf("no EndpointSlice yet")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if ing := k.ok("get", "svc", "lb-off", "-o", "jsonpath={.status.loadBalancer.ingress}"); ing != "" {
		t.Errorf("ingress %s with the built-in load balancer disabled", ing)
	}
}
