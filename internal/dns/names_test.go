package dns

import (
	"testing"
)

func TestUndashIP(t *testing.T) {
	tests := []struct {
		label string
		want  string // "" means not an address
	}{
		{"10-42-0-5", "10.42.0.5"},
		{"fd00--1", "fd00::1"},
		{"2001-db8-0-0-0-0-0-1", "2001:db8::1"},
		{"--1", "::1"},
		{"10-42-0", ""},
		{"10-42-0-256", ""},
		{"db-0", ""},
		{"", ""},
	}
	for _, tt := range tests {
		a, ok := undashIP(tt.label)
		if got := map[bool]string{true: a.String(), false: ""}[ok]; got != tt.want {
			t.Errorf("undashIP(%q) = %q, want %q", tt.label, got, tt.want)
		}
		if ok && dashedIP(a) != tt.label && tt.label != "2001-db8-0-0-0-0-0-1" {
			t.Errorf("dashedIP(%s) = %q, want %q", a, dashedIP(a), tt.label)
		}
	}
}

func TestReverseAddr(t *testing.T) {
	tests := []struct {
		name string
		want string // "" means not a full address
	}{
		{"5.0.42.10.in-addr.arpa.", "10.42.0.5"},
		{"0.42.10.in-addr.arpa.", ""},
		{"x.0.42.10.in-addr.arpa.", ""},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", "2001:db8::1"},
		{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", "2001:db8::"},
		{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", ""},
		{"example.com.", ""},
	}
	for _, tt := range tests {
		a, ok := reverseAddr(tt.name)
		if got := map[bool]string{true: a.String(), false: ""}[ok]; got != tt.want {
			t.Errorf("reverseAddr(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, ok := reverseAddr("1.2.3.4.in-addr.arpa."); !ok {
		t.Error("reverseAddr rejects a well-formed IPv4 name")
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name string
		want clusterName
	}{
		{"cluster.local.", clusterName{kind: kindApex}},
		{"svc.cluster.local.", clusterName{kind: kindSvcRoot}},
		{"ns.svc.cluster.local.", clusterName{kind: kindNamespace, namespace: "ns"}},
		{"s.ns.svc.cluster.local.", clusterName{kind: kindService, namespace: "ns", service: "s"}},
		{"h.s.ns.svc.cluster.local.", clusterName{kind: kindServiceSub, namespace: "ns", service: "s", label: "h"}},
		{"_p._tcp.s.ns.svc.cluster.local.", clusterName{kind: kindServicePort, namespace: "ns", service: "s", label: "_tcp", port: "_p"}},
		{"p.tcp.s.ns.svc.cluster.local.", clusterName{kind: kindInvalid}},
		{"1-2-3-4.ns.pod.cluster.local.", clusterName{kind: kindPod, namespace: "ns", label: "1-2-3-4"}},
		{"x.1-2-3-4.ns.pod.cluster.local.", clusterName{kind: kindInvalid}},
		{"other.cluster.local.", clusterName{kind: kindInvalid}},
	}
	for _, tt := range tests {
		if got := parseName(tt.name, "cluster.local."); got != tt.want {
			t.Errorf("parseName(%q) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
