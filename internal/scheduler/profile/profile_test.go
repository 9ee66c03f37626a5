package profile

import (
	"strings"
	"testing"
)

func TestBuildRejectsBadProfiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown plugin", Default().WithWeight("NoSuchPlugin", 1), `unknown plugin "NoSuchPlugin"`},
		{"duplicate", func() Config { c := Default(); c.Plugins = append(c.Plugins, Plugin{Name: "NodeName"}); return c }(), "enabled twice"},
		{"weight too big", Default().WithWeight("ImageLocality", 101), "weight 101"},
		{"percentage", func() Config { c := Default(); c.PercentageOfNodesToScore = 101; return c }(), "percentageOfNodesToScore"},
		{"bad strategy", func() Config { c := Default(); c.NodeResourcesFit.ScoringStrategy = "Spread"; return c }(), "unknown scoring strategy"},
	} {
		_, err := Build(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestDefaultProfile(t *testing.T) {
	weights := map[string]int32{}
	for _, p := range Default().Plugins {
		weights[p.Name] = p.Weight
	}
	for name, w := range map[string]int32{
		"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
		"NodeResourcesBalancedAllocation": 1, "ImageLocality": 1, "NodeName": 0, "NodePorts": 0,
		"NodeUnschedulable": 0, "DefaultPreemption": 0,
	} {
		got, ok := weights[name]
		if !ok || got != w {
			t.Errorf("%s: weight %d (enabled %v), want %d", name, got, ok, w)
		}
	}
	if _, err := Build(Default()); err != nil {
		t.Fatal(err)
	}
	d := Default().Disable("ImageLocality", "NodePorts")
	if len(d.Plugins) != len(Default().Plugins)-2 {
		t.Errorf("Disable left %d plugins", len(d.Plugins))
	}
	if fw, _ := Build(d); fw.HasFilter("NodePorts") {
		t.Error("disabled NodePorts still filters")
	}
}
