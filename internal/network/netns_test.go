package network

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"sigs.k8s.io/knftables"
)

// inNetns runs f on a thread inside a fresh network namespace holding a
// veth pair (10.250.250.1/24 on one end), and removes the namespace after.
func inNetns(t *testing.T, f func()) {
	t.Helper()
	name := newNetns(t, "")
	ipIn(t, name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	ipIn(t, name, "addr", "add", "10.250.250.1/24", "dev", "v0")
	ipIn(t, name, "link", "set", "v0", "up")
	ipIn(t, name, "link", "set", "v1", "up")
	runIn(t, name, f)
}

// newNetns makes a network namespace named after the test process and
// suffix, removed when the test ends.
func newNetns(t *testing.T, suffix string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	name := fmt.Sprintf("capstan-net-test-%d%s", os.Getpid(), suffix)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// ipIn runs `ip args…` in namespace ns (the host's when ns is "").
func ipIn(t *testing.T, ns string, args ...string) {
	t.Helper()
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v: %s", args, err, out)
	}
}

// runIn runs f on a thread that has entered namespace name.
func runIn(t *testing.T, name string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // the thread stays in the namespace: never unlocked
		ns, err := netns.GetFromName(name)
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			t.Error(err)
			return
		}
		f()
	}()
	<-done
}

// TestRoutesAndMasqueradeInNetns applies routes and the masquerade rule in
// a namespace: routes to other nodes appear, a moved node's route follows
// it, a gone node's route goes, foreign routes stay, and the table holds the
// masquerade rule.
func TestRoutesAndMasqueradeInNetns(t *testing.T) {
	inNetns(t, func() {
		_, foreign, _ := net.ParseCIDR("10.99.0.0/24")
		if err := netlink.RouteAdd(&netlink.Route{Dst: foreign, Gw: net.ParseIP("10.250.250.7")}); err != nil {
			t.Errorf("foreign route: %v", err)
			return
		}
		list := func() string {
			rs, err := netlink.RouteList(nil, netlink.FAMILY_V4)
			if err != nil {
				t.Error(err)
			}
			var out []string
			for _, r := range rs {
				if r.Dst != nil && r.Gw != nil {
					out = append(out, r.Dst.String()+" via "+r.Gw.String())
				}
			}
			return strings.Join(out, ", ")
		}
		steps := []struct {
			nodes []string // name=cidr@ip
			want  string
		}{
			{[]string{"a=10.42.1.0/24@10.250.250.2", "b=10.42.2.0/24@10.250.250.3"}, "10.42.1.0/24 via 10.250.250.2, 10.42.2.0/24 via 10.250.250.3, 10.99.0.0/24 via 10.250.250.7"},
			{[]string{"a=10.42.1.0/24@10.250.250.4"}, "10.42.1.0/24 via 10.250.250.4, 10.99.0.0/24 via 10.250.250.7"},
		}
		for _, st := range steps {
			var want []route
			for _, spec := range st.nodes {
				name, rest, _ := strings.Cut(spec, "=")
				cidr, ip, _ := strings.Cut(rest, "@")
				want = append(want, desiredRoutes(nodesOf(node(name, cidr, ip)), "self")...)
			}
			if err := syncRoutes(want); err != nil {
				t.Errorf("sync: %v", err)
				return
			}
			if got := list(); got != st.want {
				t.Errorf("routes %q, want %q", got, st.want)
			}
		}
		nft, err := knftables.New(knftables.IPv4Family, "capstan-network-test")
		if err != nil {
			t.Error(err)
			return
		}
		_, cluster, _ := net.ParseCIDR("10.42.0.0/16")
		for range 2 { // idempotent
			if err := applyMasquerade(context.Background(), nft, cluster); err != nil {
				t.Error(err)
				return
			}
		}
		rules, err := nft.ListRules(context.Background(), "postrouting")
		if err != nil || len(rules) != 1 {
			t.Errorf("postrouting has %d rules (%v), want the one masquerade rule", len(rules), err)
		}
	})
}
