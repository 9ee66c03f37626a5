package network

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
)

func TestVTEPMACIsDerivedFromTheNodeAddress(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"10.0.0.1", "02:ca:0a:00:00:01"},
		{"192.168.7.200", "02:ca:c0:a8:07:c8"},
	} {
		if got := vtepMAC(net.ParseIP(tc.ip)).String(); got != tc.want {
			t.Errorf("vtepMAC(%s) = %s, want %s", tc.ip, got, tc.want)
		}
	}
	peers := desiredPeers(nodesOf(node("self", "10.42.0.0/24", "10.0.0.1"), node("b", "10.42.2.0/24", "10.0.1.7"),
		node("v6", "fd00::/64", "fd01::1"), node("nocidr", "", "10.0.0.9")), "self")
	if len(peers) != 1 || peers[0].gw().String() != "10.42.2.0" || peers[0].nodeIP.String() != "10.0.1.7" {
		t.Errorf("peers = %+v, want node b only, VTEP 10.42.2.0 at 10.0.1.7", peers)
	}
}

// TestVXLANAcrossARouter puts two nodes on different subnets joined by a
// router namespace, where host-gw routes cannot work, and checks that pod
// addresses reach each other through the VXLAN devices; then that a gone
// peer leaves no route or neighbour behind and host-gw mode removes the
// device.
func TestVXLANAcrossARouter(t *testing.T) {
	r, a, b := newNetns(t, "-r"), newNetns(t, "-a"), newNetns(t, "-b")
	for _, side := range []struct{ ns, link, node, router, pod string }{
		{a, "ra", "10.250.1.2/24", "10.250.1.1/24", "10.42.1.5/24"},
		{b, "rb", "10.250.2.2/24", "10.250.2.1/24", "10.42.2.5/24"},
	} {
		ipIn(t, r, "link", "add", side.link, "type", "veth", "peer", "name", "eth0", "netns", side.ns)
		ipIn(t, r, "addr", "add", side.router, "dev", side.link)
		ipIn(t, r, "link", "set", side.link, "up")
		ipIn(t, side.ns, "addr", "add", side.node, "dev", "eth0")
		ipIn(t, side.ns, "link", "set", "eth0", "up")
		ipIn(t, side.ns, "link", "set", "lo", "up")
		ipIn(t, side.ns, "route", "add", "default", "via", strings.Split(side.router, "/")[0])
		ipIn(t, side.ns, "link", "add", "pods", "type", "bridge")
		ipIn(t, side.ns, "addr", "add", side.pod, "dev", "pods")
		ipIn(t, side.ns, "link", "set", "pods", "up")
	}
	if out, err := exec.Command("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1").CombinedOutput(); err != nil {
		t.Fatalf("ip_forward: %v: %s", err, out)
	}
	nodes := nodesOf(node("a", "10.42.1.0/24", "10.250.1.2"), node("b", "10.42.2.0/24", "10.250.2.2"))
	optsA := Options{Mode: ModeVXLAN, NodeName: "a", NodeIP: net.ParseIP("10.250.1.2"), Device: "capstan-vxlan"}
	optsB := Options{Mode: ModeVXLAN, NodeName: "b", NodeIP: net.ParseIP("10.250.2.2"), Device: "capstan-vxlan"}
	runIn(t, a, func() {
		if err := syncRoutes(desiredRoutes(nodes, "a")); err == nil {
			t.Error("host-gw routes via a node on another subnet were accepted; the test topology is not routed")
		}
		for range 2 { // idempotent
			if err := optsA.sync(nodes); err != nil {
				t.Errorf("sync a: %v", err)
			}
		}
	})
	runIn(t, b, func() {
		if err := optsB.sync(nodes); err != nil {
			t.Errorf("sync b: %v", err)
		}
	})
	var ln net.Listener
	runIn(t, b, func() {
		var err error
		if ln, err = net.Listen("tcp", "10.42.2.5:7777"); err != nil {
			t.Error(err)
		}
	})
	if ln == nil {
		t.FailNow()
	}
	defer ln.Close()
	peerAddr := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peerAddr <- err.Error()
			return
		}
		peerAddr <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	runIn(t, a, func() {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("10.42.1.5")}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", "10.42.2.5:7777")
		if err != nil {
			t.Errorf("pod a → pod b through VXLAN: %v", err)
			return
		}
		c.Close()
		if got := <-peerAddr; got != "10.42.1.5" {
			t.Errorf("pod b saw the connection from %s, want pod a's 10.42.1.5 (no NAT)", got)
		}
	})
	runIn(t, a, func() {
		if err := optsA.sync(nodesOf(nodes[0])); err != nil {
			t.Errorf("sync a without b: %v", err)
			return
		}
		l, err := netlink.LinkByName("capstan-vxlan")
		if err != nil {
			t.Error(err)
			return
		}
		for _, family := range []int{netlink.FAMILY_V4, unix.AF_BRIDGE} {
			ns, _ := netlink.NeighList(l.Attrs().Index, family)
			for _, n := range ns {
				if n.State&netlink.NUD_PERMANENT != 0 && n.IP != nil {
					t.Errorf("neighbour %s %s left after b went", n.IP, n.HardwareAddr)
				}
			}
		}
		if rs := ourRoutes(t); len(rs) != 0 {
			t.Errorf("routes left after b went: %v", rs)
		}
		hostGW := Options{Mode: ModeHostGW, NodeName: "a", Device: "capstan-vxlan"}
		if err := hostGW.sync([]*corev1.Node{nodes[0]}); err != nil {
			t.Errorf("host-gw sync: %v", err)
		}
		if _, err := netlink.LinkByName("capstan-vxlan"); err == nil {
			t.Error("VXLAN device still there in host-gw mode")
		}
	})
}

func ourRoutes(t *testing.T) []string {
	t.Helper()
	rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.Dst.String())
	}
	return out
}
