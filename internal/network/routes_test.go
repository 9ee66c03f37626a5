package network

import (
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name, cidr string, addrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: cidr}}
	for _, a := range addrs {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
	}
	return n
}

func routesString(rs []route) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}

func TestDesiredRoutes(t *testing.T) {
	nodes := []*corev1.Node{
		node("self", "10.42.0.0/24", "192.0.2.1"),
		node("b", "10.42.2.0/24", "fd00::2", "192.0.2.2"),
		node("a", "10.42.1.0/24", "192.0.2.3"),
		node("no-cidr", "", "192.0.2.4"),
		node("no-address", "10.42.3.0/24"),
		node("v6-only", "10.42.4.0/24", "fd00::5"),
		node("bad", "not-a-cidr", "192.0.2.6"),
	}
	got := routesString(desiredRoutes(nodes, "self"))
	if want := "10.42.1.0/24 via 192.0.2.3, 10.42.2.0/24 via 192.0.2.2"; got != want {
		t.Errorf("routes %q, want %q", got, want)
	}
}

func TestDiffRoutes(t *testing.T) {
	r := func(dst, gw string) route {
		_, n, _ := net.ParseCIDR(dst)
		return route{dst: n, gw: net.ParseIP(gw)}
	}
	current := []route{r("10.42.1.0/24", "192.0.2.3"), r("10.42.2.0/24", "192.0.2.9"), r("10.42.9.0/24", "192.0.2.8")}
	want := []route{r("10.42.1.0/24", "192.0.2.3"), r("10.42.2.0/24", "192.0.2.2"), r("10.42.3.0/24", "192.0.2.4")}
	put, del := diffRoutes(current, want)
	if got := routesString(put); got != "10.42.2.0/24 via 192.0.2.2, 10.42.3.0/24 via 192.0.2.4" {
		t.Errorf("put %q: a moved node's route is replaced, a new node's added, an unchanged one left alone", got)
	}
	if got := routesString(del); got != "10.42.9.0/24 via 192.0.2.8" {
		t.Errorf("del %q: only the route of a gone node goes", got)
	}
}

func nodesOf(ns ...*corev1.Node) []*corev1.Node { return ns }
