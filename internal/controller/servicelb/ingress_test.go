package servicelb

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, ready corev1.ConditionStatus, addrs ...corev1.NodeAddress) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: addrs}}
	if ready != "" {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
	}
	return n
}

func internal(ip string) corev1.NodeAddress {
	return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
}

func external(ip string) corev1.NodeAddress {
	return corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: ip}
}

func ips(ing []corev1.LoadBalancerIngress) []string {
	var out []string
	for _, i := range ing {
		if i.IPMode == nil || *i.IPMode != corev1.LoadBalancerIPModeVIP {
			out = append(out, "not-VIP:"+i.IP)
			continue
		}
		out = append(out, i.IP)
	}
	return out
}

func TestNodeIngress(t *testing.T) {
	excluded := node("excluded", corev1.ConditionTrue, internal("10.0.0.9"))
	excluded.Labels = map[string]string{ExcludeLabel: ""}
	deleting := node("deleting", corev1.ConditionTrue, internal("10.0.0.8"))
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	v4 := []corev1.IPFamily{corev1.IPv4Protocol}
	tests := []struct {
		name     string
		families []corev1.IPFamily
		nodes    []*corev1.Node
		want     []string
	}{
		{"ready nodes sorted by address", v4, []*corev1.Node{
			node("b", corev1.ConditionTrue, internal("10.0.0.20")),
			node("a", corev1.ConditionTrue, internal("10.0.0.3")),
		}, []string{"10.0.0.3", "10.0.0.20"}},
		{"external address wins over internal", v4, []*corev1.Node{
			node("a", corev1.ConditionTrue, internal("10.0.0.3"), external("203.0.113.7")),
		}, []string{"203.0.113.7"}},
		{"not ready, unknown and condition-less nodes are left out", v4, []*corev1.Node{
			node("a", corev1.ConditionFalse, internal("10.0.0.1")),
			node("b", corev1.ConditionUnknown, internal("10.0.0.2")),
			node("c", "", internal("10.0.0.3")),
			node("d", corev1.ConditionTrue, internal("10.0.0.4")),
		}, []string{"10.0.0.4"}},
		{"excluded and deleting nodes are left out", v4, []*corev1.Node{excluded, deleting}, nil},
		{"only the service's families", v4, []*corev1.Node{
			node("a", corev1.ConditionTrue, internal("10.0.0.1"), internal("fd00::1")),
		}, []string{"10.0.0.1"}},
		{"dual stack gets both", []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}, []*corev1.Node{
			node("a", corev1.ConditionTrue, internal("fd00::1"), internal("10.0.0.1")),
		}, []string{"10.0.0.1", "fd00::1"}},
		{"shared address listed once", v4, []*corev1.Node{
			node("a", corev1.ConditionTrue, internal("10.0.0.1")),
			node("b", corev1.ConditionTrue, internal("10.0.0.1")),
		}, []string{"10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, IPFamilies: tt.families}}
			if got := ips(NodeIngress(svc, tt.nodes)); !slices.Equal(got, tt.want) {
				t.Errorf("ingress %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPoolAssign(t *testing.T) {
	v4, v6 := corev1.IPv4Protocol, corev1.IPv6Protocol
	type step struct {
		op     string // assign, release, claim
		key    string
		fam    corev1.IPFamily
		prefer []string
		want   string // address, "" for exhausted / claim refused
	}
	tests := []struct {
		name  string
		pool  []string
		steps []step
	}{
		{"skips network and broadcast, one per key, stable", []string{"192.0.2.0/30"}, []step{
			{op: "assign", key: "a", fam: v4, want: "192.0.2.1"},
			{op: "assign", key: "b", fam: v4, want: "192.0.2.2"},
			{op: "assign", key: "a", fam: v4, want: "192.0.2.1"},
			{op: "assign", key: "c", fam: v4, want: ""},
			{op: "release", key: "a"},
			{op: "assign", key: "c", fam: v4, want: "192.0.2.1"},
		}},
		{"preferred address taken if free", []string{"192.0.2.0/28"}, []step{
			{op: "assign", key: "a", fam: v4, prefer: []string{"192.0.2.9"}, want: "192.0.2.9"},
			{op: "assign", key: "b", fam: v4, prefer: []string{"192.0.2.9", "192.0.2.10"}, want: "192.0.2.10"},
			{op: "assign", key: "c", fam: v4, prefer: []string{"198.51.100.1"}, want: "192.0.2.1"},
		}},
		{"claim refuses outside and taken addresses", []string{"192.0.2.0/30"}, []step{
			{op: "claim", key: "a", prefer: []string{"192.0.2.0"}, want: ""},
			{op: "claim", key: "a", prefer: []string{"192.0.2.2"}, want: "192.0.2.2"},
			{op: "claim", key: "b", prefer: []string{"192.0.2.2"}, want: ""},
			{op: "claim", key: "a", prefer: []string{"192.0.2.1"}, want: "192.0.2.1"},
			{op: "assign", key: "b", fam: v4, want: "192.0.2.2"},
		}},
		{"family picks the prefix; /31 and /32 use every address", []string{"192.0.2.8/31", "2001:db8::/127"}, []step{
			{op: "assign", key: "a", fam: v6, want: "2001:db8::"},
			{op: "assign", key: "b", fam: v4, want: "192.0.2.8"},
			{op: "assign", key: "c", fam: v4, want: "192.0.2.9"},
			{op: "assign", key: "d", fam: v6, want: "2001:db8::1"},
			{op: "assign", key: "e", fam: v6, want: ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ranges, err := ParsePool(strings.Join(tt.pool, ","))
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPool(ranges)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				var prefer []netip.Addr
				for _, a := range s.prefer {
					prefer = append(prefer, netip.MustParseAddr(a))
				}
				got := ""
				switch s.op {
				case "release":
					p.release(s.key)
					continue
				case "claim":
					if p.claim(s.key, prefer[0]) {
						got = prefer[0].String()
					}
				case "assign":
					if ip, err := p.assign(s.key, s.fam, prefer); err == nil {
						got = ip.String()
					}
				}
				if got != s.want {
					t.Fatalf("step %d %s %s: got %q, want %q", i, s.op, s.key, got, s.want)
				}
			}
		})
	}
}

func TestNewPoolRejectsEmptyAndInvalid(t *testing.T) {
	a := netip.MustParseAddr
	for _, ranges := range [][]AddrRange{
		nil,
		{{}},
		{{First: a("192.0.2.9"), Last: a("192.0.2.1")}},
		{{First: a("192.0.2.1"), Last: a("2001:db8::1")}},
		{{First: a("192.0.2.1"), Last: a("192.0.2.9")}, {First: a("192.0.2.9"), Last: a("192.0.2.12")}},
	} {
		if _, err := newPool(ranges); err == nil {
			t.Errorf("newPool(%v) accepted", ranges)
		}
	}
}
