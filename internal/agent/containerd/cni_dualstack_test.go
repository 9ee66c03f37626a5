package containerd

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestRenderCNIConfigDualStack(t *testing.T) {
	names := NamesForConfDir("/var/lib/capstan/cni/net.d")
	for _, tc := range []struct {
		cidrs       string
		wantSubnets []string
		wantRoutes  []string
		wantErr     bool
	}{
		{cidrs: "10.42.1.0/24,fd00:42:0:1::/64", wantSubnets: []string{"10.42.1.0/24", "fd00:42:0:1::/64"}, wantRoutes: []string{"0.0.0.0/0", "::/0"}},
		{cidrs: "fd00:42:0:1::/64,10.42.1.0/24", wantSubnets: []string{"fd00:42:0:1::/64", "10.42.1.0/24"}, wantRoutes: []string{"::/0", "0.0.0.0/0"}},
		{cidrs: "10.42.1.0/24,10.42.2.0/24", wantErr: true},
		{cidrs: "10.42.1.0/24,fd00:42:0:1::1/64", wantErr: true},
	} {
		t.Run(tc.cidrs, func(t *testing.T) {
			data, err := RenderCNIConfig(names, tc.cidrs, 0)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got\n%s", data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var conf struct {
				Plugins []struct {
					IPAM struct {
						Ranges [][]struct{ Subnet string }
						Routes []struct{ Dst string }
					}
				}
			}
			if err := json.Unmarshal(data, &conf); err != nil {
				t.Fatal(err)
			}
			var subnets, routes []string
			for _, r := range conf.Plugins[0].IPAM.Ranges {
				if len(r) != 1 {
					t.Fatalf("range set %v: want one subnet per set (one address per family)", r)
				}
				subnets = append(subnets, r[0].Subnet)
			}
			for _, r := range conf.Plugins[0].IPAM.Routes {
				routes = append(routes, r.Dst)
			}
			if !slices.Equal(subnets, tc.wantSubnets) || !slices.Equal(routes, tc.wantRoutes) {
				t.Errorf("ranges %v routes %v, want %v %v", subnets, routes, tc.wantSubnets, tc.wantRoutes)
			}
		})
	}
}

func TestPodCIDRList(t *testing.T) {
	for _, tc := range []struct {
		primary string
		all     []string
		want    string
	}{
		{"10.42.1.0/24", nil, "10.42.1.0/24"},
		{"10.42.1.0/24", []string{"10.42.1.0/24"}, "10.42.1.0/24"},
		{"10.42.1.0/24", []string{"10.42.1.0/24", "fd00:42:0:1::/64"}, "10.42.1.0/24,fd00:42:0:1::/64"},
		{"", nil, ""},
	} {
		if got := PodCIDRList(tc.primary, tc.all); got != tc.want {
			t.Errorf("PodCIDRList(%q, %v) = %q, want %q", tc.primary, tc.all, got, tc.want)
		}
	}
}
