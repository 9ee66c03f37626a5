package profile

import (
	"strings"
	"testing"

	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
)

func TestParseSchedulerConfiguration(t *testing.T) {
	cfg, err := Parse([]byte(`apiVersion: kubescheduler.config.k8s.io/v1
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
	if cfg.PercentageOfNodesToScore != 30 || cfg.NodeResourcesFit.ScoringStrategy != noderesources.MostAllocated ||
		len(cfg.NodeResourcesFit.Resources) != 2 || cfg.NodeResourcesFit.Resources[0].Weight != 3 {
		t.Errorf("config %+v", cfg)
	}
	weights := map[string]int32{}
	for _, p := range cfg.Plugins {
		weights[p.Name] = p.Weight
	}
	if _, ok := weights["ImageLocality"]; ok || weights["NodeResourcesBalancedAllocation"] != 5 || weights["TaintToleration"] != 3 {
		t.Errorf("plugins %v", cfg.Plugins)
	}
	if _, err := Build(cfg); err != nil {
		t.Errorf("the parsed profile does not build: %v", err)
	}
	for _, tc := range []struct{ doc, want string }{
		{"kind: Other\n", "want apiVersion kubescheduler.config.k8s.io/v1"},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nbogus: 1\n", `unknown field "bogus"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{plugins: {score: {enabled: [{name: Nope}]}}}]\n", `unknown plugin "Nope"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{pluginConfig: [{name: NodeResourcesFit, args: {scoringStrategy: {type: Random}}}]}]\n", `scoringStrategy.type "Random"`},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{}, {}]\n", "only one profile"},
		{"apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 101\n", "not between 0 and 100"},
	} {
		if _, err := Parse([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.doc, err, tc.want)
		}
	}
}
