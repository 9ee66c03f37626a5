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
		{"unknown plugin", Default().WithWeight("NoSuchPlugin", 1), `PreFilterPlugin "NoSuchPlugin" does not exist`},
		{"duplicate", func() Config {
			c := Default()
			c.Plugins.Filter.Enabled = []Plugin{{Name: "NodeName"}, {Name: "NodeName"}}
			return c
		}(), `plugin "NodeName" already registered as "FilterPlugin"`},
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
	fw, err := Build(Default())
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]int64{
		"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1, "PodTopologySpread": 2, "InterPodAffinity": 2,
		"NodeResourcesBalancedAllocation": 1, "ImageLocality": 1, "NodeName": 0, "NodePorts": 0,
		"NodeUnschedulable": 0, "DefaultPreemption": 0,
	} {
		got, ok := fw.HasScore(name)
		if ok != (w > 0) || got != w {
			t.Errorf("%s: weight %d (scores %v), want %d", name, got, ok, w)
		}
	}
	d := Default().Disable("ImageLocality", "NodePorts")
	if len(d.Plugins.MultiPoint.Enabled) != len(Default().Plugins.MultiPoint.Enabled)-2 || d.Enabled("NodePorts") || !d.Enabled("NodeName") {
		t.Errorf("Disable left %v", d.Plugins.MultiPoint.Enabled)
	}
	if fw, _ := Build(d); fw.HasFilter("NodePorts") {
		t.Error("disabled NodePorts still filters")
	}
}
