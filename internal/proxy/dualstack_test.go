package proxy

import "testing"

func TestSplitClusterCIDR(t *testing.T) {
	for _, tc := range []struct {
		in, v4, v6 string
		wantErr    bool
	}{
		{in: "10.42.0.0/16", v4: "10.42.0.0/16", v6: "<nil>"},
		{in: "10.42.0.0/16,fd00:42::/56", v4: "10.42.0.0/16", v6: "fd00:42::/56"},
		{in: "fd00:42::/56, 10.42.0.0/16", v4: "10.42.0.0/16", v6: "fd00:42::/56"},
		{in: "fd00:42::/56", v4: "<nil>", v6: "fd00:42::/56"},
		{in: "10.42.0.0/16,bogus", wantErr: true},
	} {
		v4, v6, err := splitClusterCIDR(tc.in)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%q: err = %v", tc.in, err)
		}
		if !tc.wantErr && (v4.String() != tc.v4 || v6.String() != tc.v6) {
			t.Errorf("%q: got %v %v, want %s %s", tc.in, v4, v6, tc.v4, tc.v6)
		}
	}
}
