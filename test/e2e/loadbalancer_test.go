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
