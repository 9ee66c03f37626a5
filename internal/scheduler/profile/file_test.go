package profile

import (
	"strings"
	"testing"

	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
	"github.com/capstan/capstan/internal/scheduler/plugins/podtopologyspread"
)

func TestParseSchedulerConfiguration(t *testing.T) {
	cfgs, err := Parse([]byte(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      disabled: [{name: ImageLocality}]
      enabled: [{name: NodeResourcesBalancedAllocation, weight: 5}]
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources: [{name: cpu, weight: 3}, {name: memory, weight: 1}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 1 {
		t.Fatalf("got %d profiles, want 1", len(cfgs))
	}
	cfg := cfgs[0]
	if cfg.PercentageOfNodesToScore != 30 || cfg.NodeResourcesFit.ScoringStrategy != noderesources.MostAllocated ||
		len(cfg.NodeResourcesFit.Resources) != 2 || cfg.NodeResourcesFit.Resources[0].Weight != 3 {
		t.Errorf("config %+v", cfg)
	}
	fw, err := Build(cfg)
	if err != nil {
		t.Fatalf("the parsed profile does not build: %v", err)
	}
	_, il := fw.HasScore("ImageLocality")
	ba, _ := fw.HasScore("NodeResourcesBalancedAllocation")
	tt, _ := fw.HasScore("TaintToleration")
	if il || ba != 5 || tt != 3 {
		t.Errorf("scores %v", fw.PluginNames()["Score"])
	}
	for _, tc := range []struct{ doc, want string }{
		{"kind: Other\n", "want apiVersion kubescheduler.config.k8s.io/v1"},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nbogus: 1\n", `unknown field "bogus"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{plugins: {score: {enabled: [{name: Nope}]}}}]\n", `creating profile for scheduler name default-scheduler: ScorePlugin "Nope" does not exist`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{pluginConfig: [{name: NodeResourcesFit, args: {scoringStrategy: {type: Random}}}]}]\n", `scoringStrategy.type "Random"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{}, {}]\n", "profiles[0].schedulerName: Required value"},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{schedulerName: a}, {schedulerName: a}]\n", `profiles[1].schedulerName: Duplicate value: "a"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{pluginConfig: [{name: PodTopologySpread, args: {defaultConstraints: [{maxSkew: 1, topologyKey: k, whenUnsatisfiable: DoNotSchedule}]}}]}]\n", `must be empty when defaultingType is "System"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{pluginConfig: [{name: PodTopologySpread, args: {defaultingType: List, defaultConstraints: [{maxSkew: 1, topologyKey: k, whenUnsatisfiable: DoNotSchedule, labelSelector: {}}]}}]}]\n", "must not define a selector"},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{pluginConfig: [{name: PodTopologySpread, args: {defaultingType: Sometimes}}]}]\n", `defaultingType: unsupported value "Sometimes"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{schedulerName: a, percentageOfNodesToScore: -1}]\n", "profiles[0] (a): percentageOfNodesToScore"},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 101\n", "not between 0 and 100"},
	} {
		if _, err := Parse([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.doc, err, tc.want)
		}
	}
}

func TestParseMultipleProfiles(t *testing.T) {
	cfgs, err := Parse([]byte(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 40
profiles:
- schedulerName: default-scheduler
- schedulerName: packer
  percentageOfNodesToScore: 100
  plugins:
    score:
      disabled: [{name: ImageLocality}]
      enabled: [{name: NodeResourcesFit, weight: 7}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
  - name: PodTopologySpread
    args:
      defaultingType: List
      defaultConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 2 {
		t.Fatalf("got %d profiles, want 2", len(cfgs))
	}
	def, packer := cfgs[0], cfgs[1]
	if def.SchedulerName != DefaultSchedulerName || def.PercentageOfNodesToScore != 40 ||
		def.NodeResourcesFit.ScoringStrategy != noderesources.LeastAllocated || len(def.Plugins.MultiPoint.Enabled) != len(Default().Plugins.MultiPoint.Enabled) ||
		def.PodTopologySpread.DefaultingType != "" {
		t.Errorf("default profile %+v", def)
	}
	if packer.SchedulerName != "packer" || packer.PercentageOfNodesToScore != 100 ||
		packer.NodeResourcesFit.ScoringStrategy != noderesources.MostAllocated {
		t.Errorf("packer profile %+v", packer)
	}
	if packer.PodTopologySpread.DefaultingType != podtopologyspread.ListDefaulting || len(packer.PodTopologySpread.DefaultConstraints) != 1 {
		t.Errorf("packer spread args %+v", packer.PodTopologySpread)
	}
	if !packer.Enabled("NodeResourcesFit") || packer.Enabled("ImageLocality") || !packer.Enabled("TaintToleration") ||
		!def.Enabled("ImageLocality") {
		t.Errorf("packer plugins %v", packer.Plugins)
	}
	for _, c := range cfgs {
		if _, err := Build(c); err != nil {
			t.Errorf("profile %s does not build: %v", c.SchedulerName, err)
		}
	}
}
