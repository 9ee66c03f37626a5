package nodeipam

import (
	"errors"
	"net"
	"testing"
)

func TestAllocator(t *testing.T) {
	_, cluster, _ := net.ParseCIDR("10.42.0.0/22")
	a, err := newAllocator(cluster, 24)
	if err != nil {
		t.Fatal(err)
	}
	if !a.occupy("10.42.1.0/24") || a.occupy("10.99.0.0/24") || a.occupy("10.42.2.0/25") {
		t.Fatal("occupy accepted a foreign range or refused its own")
	}
	var got []string
	for range 3 {
		c, err := a.allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	want := []string{"10.42.0.0/24", "10.42.2.0/24", "10.42.3.0/24"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allocations %v, want %v", got, want)
		}
	}
	if _, err := a.allocate(); !errors.Is(err, errFull) {
		t.Fatalf("full allocator: %v", err)
	}
	a.release("10.42.2.0/24")
	if c, err := a.allocate(); err != nil || c != "10.42.2.0/24" {
		t.Fatalf("after release: %s %v", c, err)
	}
	_, v6, _ := net.ParseCIDR("fd00:42::/56")
	a6, err := newAllocator(v6, 64)
	if err != nil {
		t.Fatal(err)
	}
	a6.allocate()
	if c, _ := a6.allocate(); c != "fd00:42:0:1::/64" {
		t.Errorf("second IPv6 range %s", c)
	}
	if _, err := newAllocator(cluster, 16); err == nil {
		t.Error("a node mask wider than the cluster CIDR was accepted")
	}
}
