package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// dualStackNetwork returns an IPv4,IPv6 cluster CIDR pair no other cluster
// of this run uses (10.1xx.0.0/16,fd00:1xx::/56; the host's own fd00::/64 is
// outside every such range).
func dualStackNetwork(t testing.TB) (v4, v6 string) {
	v4 = podNetwork()
	var octet int
	if _, err := fmt.Sscanf(v4, "10.%d.0.0/16", &octet); err != nil {
		t.Fatalf("pod network %q: %v", v4, err)
	}
	return v4, fmt.Sprintf("fd00:%d::/56", octet)
}

// TestDualStackNode runs a node with an IPv4,IPv6 cluster CIDR and service
// range: the node gets a pod CIDR of each family, a pod gets an IPv4 and an
// IPv6 address (reachable from the host over IPv6), and Services get
// cluster IPs by their ipFamilyPolicy and answer on both from the host.
func TestDualStackNode(t *testing.T) {
	v4, v6 := dualStackNetwork(t)
	c := startNode(t, "--cluster-cidr", v4+","+v6, "--service-cidr", "10.43.0.0/16,fd00:43::/112")
	k := newKubectl(t, c)
	_, v4Net, _ := net.ParseCIDR(v4)
	_, v6Net, _ := net.ParseCIDR(v6)

	cidrs := strings.Fields(k.ok("get", "node", c.nodeName, "-o", `jsonpath={range .spec.podCIDRs[*]}{@}{" "}{end}`))
	if len(cidrs) != 2 || !strings.HasSuffix(cidrs[0], "/24") || !strings.HasSuffix(cidrs[1], "/64") {
		t.Fatalf("node podCIDRs %v, want an IPv4 /24 then an IPv6 /64", cidrs)
	}

	k.okIn(webPod("web", c.nodeName, "app: web"), "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pod/web", "--timeout=90s")
	ips := strings.Fields(k.ok("get", "pod", "web", "-o", `jsonpath={range .status.podIPs[*]}{.ip}{" "}{end}`))
	if len(ips) != 2 || !v4Net.Contains(net.ParseIP(ips[0])) || !v6Net.Contains(net.ParseIP(ips[1])) {
		t.Fatalf("pod IPs %v, want one of %s then one of %s", ips, v4, v6)
	}
	if podIP := k.ok("get", "pod", "web", "-o", "jsonpath={.status.podIP}"); podIP != ips[0] {
		t.Errorf("status.podIP %s, want the primary %s", podIP, ips[0])
	}

	t.Run("pod answers on its IPv6 address from the host", func(t *testing.T) {
		// The bridge's IPv6 gateway address may still be in duplicate
		// address detection for a moment.
		err := eventually(context.Background(), 20*time.Second, func() error {
			got, err := dualStackGet(net.JoinHostPort(ips[1], "8080"))
			if err == nil && got != "web" {
				err = fmt.Errorf("answer %q", got)
			}
			return err
		})
		if err != nil {
			t.Fatalf("GET [%s]:8080: %v", ips[1], err)
		}
	})

	k.okIn(`apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ipFamilyPolicy: PreferDualStack
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web6}
spec:
  ipFamilies: [IPv6]
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`, "apply", "-f", "-")
	t.Run("PreferDualStack Service gets a ClusterIP per family", func(t *testing.T) {
		clusterIPs := strings.Fields(k.ok("get", "svc", "web", "-o", `jsonpath={range .spec.clusterIPs[*]}{@}{" "}{end}`))
		fams := k.ok("get", "svc", "web", "-o", `jsonpath={.spec.ipFamilies}`)
		if len(clusterIPs) != 2 || net.ParseIP(clusterIPs[0]).To4() == nil || net.ParseIP(clusterIPs[1]).To4() != nil ||
			fams != `["IPv4","IPv6"]` {
			t.Fatalf("clusterIPs %v ipFamilies %s", clusterIPs, fams)
		}
		if got := k.ok("get", "svc", "web6", "-o", "jsonpath={.spec.clusterIP}"); net.ParseIP(got).To4() != nil {
			t.Errorf("ipFamilies [IPv6] got clusterIP %s", got)
		}
		for _, ip := range clusterIPs {
			err := eventually(context.Background(), 30*time.Second, func() error {
				got, err := dualStackGet(net.JoinHostPort(ip, "80"))
				if err == nil && got != "web" {
					err = fmt.Errorf("answer %q", got)
				}
				return err
			})
			if err != nil {
				t.Errorf("ClusterIP %s from the host: %v", ip, err)
			}
		}
	})
	t.Run("EndpointSlices for both families", func(t *testing.T) {
		err := eventually(context.Background(), 30*time.Second, func() error {
			out := k.ok("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
				`jsonpath={range .items[*]}{.addressType}={.endpoints[*].addresses[*]}{" "}{end}`)
			if !strings.Contains(out, "IPv4="+ips[0]) || !strings.Contains(out, "IPv6="+ips[1]) {
				return fmt.Errorf("slices %q", out)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
}

// dualStackGet fetches http://hostport/ and returns the trimmed body.
func dualStackGet(hostport string) (string, error) {
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + hostport + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}
