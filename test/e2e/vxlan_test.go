package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestPodNetworkOverVXLAN runs the two-node cluster with
// --pod-network-mode vxlan: routes to the other node's pods go through the
// VXLAN device on both nodes, and pods reach each other across nodes by
// pod IP, seeing each other's own addresses.
func TestPodNetworkOverVXLAN(t *testing.T) {
	// Registered first, so it runs after the server (whose node owns the
	// host's device) has stopped.
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "capstan-vxlan").Run() })
	j := joinCluster(t, true, "--pod-network-mode", "vxlan")
	c, k := j.c, j.k
	importBusybox(t, c.agentDir())
	k.okIn(webPod("web-a", c.nodeName, "app: web")+"---\n"+webPod("web-b", j.nodeName, "app: web")+"---\n"+
		busyboxPod("client", c.nodeName, "exec sleep 3600", ""), "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pods", "--all", "--timeout=90s")
	cidrB := k.ok("get", "node", j.nodeName, "-o", "jsonpath={.spec.podCIDR}")
	cidrA := k.ok("get", "node", c.nodeName, "-o", "jsonpath={.spec.podCIDR}")
	for _, side := range []struct {
		name string
		cmd  []string
		dst  string
	}{
		{"server's node", []string{"ip", "route", "show", cidrB}, cidrB},
		{"joined node", []string{"nsenter", "--net=/run/netns/" + j.netns, "ip", "route", "show", cidrA}, cidrA},
	} {
		out, err := exec.Command(side.cmd[0], side.cmd[1:]...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "dev capstan-vxlan") {
			t.Errorf("%s: route to %s = %q (%v), want it through dev capstan-vxlan", side.name, side.dst, out, err)
		}
	}
	ipB := k.ok("get", "pod", "web-b", "-o", "jsonpath={.status.podIP}")
	r := k.run("exec", "client", "--", "sh", "-c", fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s 8080`, ipB))
	if r.err != nil || !strings.HasSuffix(strings.TrimSpace(r.stdout), "web-b") {
		t.Fatalf("client → web-b by pod IP over VXLAN: %v %q %s", r.err, r.stdout, r.stderr)
	}
	// Full-size packets cross the tunnel too: the pods' MTU leaves room for
	// the VXLAN headers.
	k.ok("exec", "web-b", "--", "sh", "-c", "head -c 200000 /dev/zero > /www/big")
	if got := k.ok("exec", "client", "--", "sh", "-c", fmt.Sprintf("wget -q -O - http://%s:8080/big | wc -c", ipB)); strings.TrimSpace(got) != "200000" {
		t.Errorf("200000-byte download over VXLAN got %q bytes", got)
	}
	wantContains(t, "pod MTU", k.ok("exec", "client", "--", "cat", "/sys/class/net/eth0/mtu"), "1450")
}
