package server

import (
	"testing"
)

func TestParseCIDRPair(t *testing.T) {
	for _, tc := range []struct {
		in              string
		primary, second string
		wantErr         bool
	}{
		{in: "10.42.0.0/16", primary: "10.42.0.0/16"},
		{in: "10.42.0.0/16,fd00:42::/56", primary: "10.42.0.0/16", second: "fd00:42::/56"},
		{in: "fd00:42::/56, 10.42.0.0/16", primary: "fd00:42::/56", second: "10.42.0.0/16"},
		{in: "10.42.0.0/16,10.43.0.0/16", wantErr: true},
		{in: "10.42.0.0/16,fd00::/56,fd01::/56", wantErr: true},
		{in: "10.42.0.0", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, s, err := parseCIDRPair("--cluster-cidr", tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %v %v", p, s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != tc.primary {
				t.Errorf("primary %s, want %s", p, tc.primary)
			}
			if (s == nil) != (tc.second == "") || (s != nil && s.String() != tc.second) {
				t.Errorf("secondary %v, want %q", s, tc.second)
			}
		})
	}
}

func TestServiceIPBothFamilies(t *testing.T) {
	for _, tc := range []struct {
		cidr string
		n    byte
		want string
	}{
		{"10.43.0.0/16", 10, "10.43.0.10"},
		{"fd00:43::/112", 10, "fd00:43::a"},
		{"fd00:43::/112", 1, "fd00:43::1"},
	} {
		p, _, err := parseCIDRPair("--service-cidr", tc.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if got := serviceIP(p, tc.n).String(); got != tc.want {
			t.Errorf("serviceIP(%s, %d) = %s, want %s", tc.cidr, tc.n, got, tc.want)
		}
	}
}
