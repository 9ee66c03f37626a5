package proxy

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenInput is the format of testdata/*.yaml.
type goldenInput struct {
	NodeName       string                      `json:"nodeName"`
	NodeIPs        []string                    `json:"nodeIPs"`
	ClusterCIDR    string                      `json:"clusterCIDR"`
	IPv6           bool                        `json:"ipv6"`
	Services       []corev1.Service            `json:"services"`
	EndpointSlices []discoveryv1.EndpointSlice `json:"endpointSlices"`
}

func loadInput(t *testing.T, path string) (Config, []*corev1.Service, []*discoveryv1.EndpointSlice) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	if err := yaml.UnmarshalStrict(data, &in); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	cfg := Config{NodeName: in.NodeName, IPv6: in.IPv6}
	for _, s := range in.NodeIPs {
		cfg.NodeIPs = append(cfg.NodeIPs, net.ParseIP(s))
	}
	if in.ClusterCIDR != "" {
		_, cidr, err := net.ParseCIDR(in.ClusterCIDR)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ClusterCIDR = cidr
	}
	var svcs []*corev1.Service
	for i := range in.Services {
		svcs = append(svcs, &in.Services[i])
	}
	var slices []*discoveryv1.EndpointSlice
	for i := range in.EndpointSlices {
		slices = append(slices, &in.EndpointSlices[i])
	}
	return cfg, svcs, slices
}

// dump applies r to an empty fake ip table and returns its text.
func dump(t *testing.T, r *Rules) string {
	t.Helper()
	return dumpFamily(t, r, knftables.IPv4Family)
}

// dumpFamily applies r to an empty fake table of family and returns its
// text.
func dumpFamily(t *testing.T, r *Rules, family knftables.Family) string {
	t.Helper()
	fake := knftables.NewFake(family, "capstan-proxy")
	sorted := *r
	sorted.Elements = sortedElements(r.Elements)
	if err := apply(context.Background(), knftablesTables{fake}, &sorted); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return fake.Dump()
}

// TestRulesetGolden compares the ruleset for each testdata/*.yaml with the
// matching .golden file (go test -run Golden -update rewrites them).
func TestRulesetGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// IPv6 inputs (ipv6: true, the ip6 table) live apart: the apply and
	// sync tests replay testdata/*.yaml into one ip table.
	inputs6, err := filepath.Glob("testdata/ipv6/*.yaml")
	if err != nil || len(inputs6) == 0 {
		t.Fatalf("no testdata/ipv6/*.yaml (%v)", err)
	}
	inputs = append(inputs, inputs6...)
	if len(inputs) == 0 {
		t.Fatal("no testdata/*.yaml")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			cfg, svcs, slices := loadInput(t, in)
			family := knftables.IPv4Family
			if cfg.IPv6 {
				family = knftables.IPv6Family
			}
			got := dumpFamily(t, Ruleset(cfg, svcs, slices), family)
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("ruleset differs from %s (run with -update to accept)\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// sortedElements orders elements by set or map, then key (stable, so the
// first of equal keys stays first), and keeps only the first element for
// each key, so that dumps list elements in a fixed order.
func sortedElements(els []*knftables.Element) []*knftables.Element {
	type keyed struct {
		id string
		el *knftables.Element
	}
	ks := make([]keyed, len(els))
	for i, e := range els {
		ks[i] = keyed{e.Set + e.Map + " " + strings.Join(e.Key, " . "), e}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].id < ks[j].id })
	out := make([]*knftables.Element, 0, len(els))
	for i, k := range ks {
		if i > 0 && k.id == ks[i-1].id {
			continue
		}
		out = append(out, k.el)
	}
	return out
}
