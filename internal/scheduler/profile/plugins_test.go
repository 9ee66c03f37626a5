package profile

import (
	"slices"
	"strings"
	"testing"
)

const header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: p\n  plugins:\n"

// TestPluginsPerExtensionPoint: a profile's plugins are placed on each
// extension point as upstream's framework places them.
func TestPluginsPerExtensionPoint(t *testing.T) {
	defaultFilters := []string{"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
		"NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"}
	defaultScores := []string{"TaintToleration:3", "NodeAffinity:2", "NodeResourcesFit:1", "PodTopologySpread:2",
		"InterPodAffinity:2", "NodeResourcesBalancedAllocation:1", "ImageLocality:1"}
	for _, tc := range []struct {
		name, plugins string
		want          map[string][]string
	}{
		{"defaults", "    {}\n", map[string][]string{"Filter": defaultFilters, "Score": defaultScores,
			"PostFilter": {"DefaultPreemption"}}},
		{"all scores disabled, filters kept", "    score: {disabled: [{name: '*'}]}\n",
			map[string][]string{"Filter": defaultFilters, "Score": nil}},
		{"all scores disabled, one enabled", "    score: {disabled: [{name: '*'}], enabled: [{name: ImageLocality, weight: 4}]}\n",
			map[string][]string{"Filter": defaultFilters, "Score": {"ImageLocality:4"}}},
		{"all filters disabled, scores kept", "    filter: {disabled: [{name: '*'}]}\n",
			map[string][]string{"Filter": nil, "Score": defaultScores, "PreFilter": {"NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"}}},
		{"one plugin's score disabled", "    score: {disabled: [{name: NodeAffinity}]}\n",
			map[string][]string{"Filter": defaultFilters, "Score": slices.DeleteFunc(slices.Clone(defaultScores), func(s string) bool { return s == "NodeAffinity:2" })}},
		{"enabled only as a filter", "    multiPoint: {disabled: [{name: TaintToleration}]}\n    filter: {enabled: [{name: TaintToleration}]}\n",
			map[string][]string{
				"Filter": {"NodeUnschedulable", "NodeName", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity", "TaintToleration"},
				"Score":  defaultScores[1:]}},
		{"multiPoint only", "    multiPoint:\n      disabled: [{name: '*'}]\n      enabled: [{name: PrioritySort}, {name: DefaultBinder}, {name: NodeResourcesFit, weight: 5}, {name: NodeName}]\n",
			map[string][]string{"PreFilter": {"NodeResourcesFit"}, "Filter": {"NodeResourcesFit", "NodeName"}, "Score": {"NodeResourcesFit:5"}, "PostFilter": nil, "PreScore": {"NodeResourcesFit"}}},
		{"weight from multiPoint replaces the default in place", "    multiPoint: {enabled: [{name: TaintToleration, weight: 9}]}\n",
			map[string][]string{"Score": append([]string{"TaintToleration:9"}, defaultScores[1:]...)}},
		{"score weight wins over multiPoint and runs first", "    multiPoint: {enabled: [{name: ImageLocality, weight: 9}]}\n    score: {enabled: [{name: ImageLocality, weight: 7}]}\n",
			map[string][]string{"Score": append([]string{"ImageLocality:7"}, defaultScores[:6]...)}},
		{"disabled at a point, enabled by multiPoint elsewhere", "    preScore: {disabled: [{name: '*'}]}\n",
			map[string][]string{"PreScore": nil, "Score": defaultScores}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgs, err := Parse([]byte(header + tc.plugins))
			if err != nil {
				t.Fatal(err)
			}
			fw, err := Build(cfgs[0])
			if err != nil {
				t.Fatal(err)
			}
			got := fw.PluginNames()
			for point, want := range tc.want {
				if !slices.Equal(got[point], want) {
					t.Errorf("%s: got %v, want %v", point, got[point], want)
				}
			}
		})
	}
}

// TestPluginsRejected: a configuration naming a plugin that does not exist
// or does not implement the extension point is refused with upstream's
// message, naming the profile.
func TestPluginsRejected(t *testing.T) {
	for _, tc := range []struct{ plugins, want string }{
		{"    filter: {enabled: [{name: Nope}]}\n", `creating profile for scheduler name p: FilterPlugin "Nope" does not exist`},
		{"    score: {enabled: [{name: Nope, weight: 2}]}\n", `ScorePlugin "Nope" does not exist`},
		{"    multiPoint: {enabled: [{name: Nope}]}\n", `PreFilterPlugin "Nope" does not exist`},
		{"    filter: {enabled: [{name: ImageLocality}]}\n", `plugin "ImageLocality" does not extend FilterPlugin plugin`},
		{"    score: {enabled: [{name: NodeName}]}\n", `plugin "NodeName" does not extend ScorePlugin plugin`},
		{"    reserve: {enabled: [{name: NodeResourcesFit}]}\n", `plugin "NodeResourcesFit" does not extend ReservePlugin plugin`},
		{"    postFilter: {enabled: [{name: NodePorts}]}\n", `plugin "NodePorts" does not extend PostFilterPlugin plugin`},
		{"    filter: {enabled: [{name: NodeName}, {name: NodeName}]}\n", `plugin "NodeName" already registered as "FilterPlugin"`},
		{"    multiPoint: {enabled: [{name: NodeName}, {name: NodeName}]}\n", `plugin "NodeName" already registered as "FilterPlugin"`},
		{"    multiPoint: {disabled: [{name: '*'}], enabled: [{name: DefaultBinder}]}\n", `only one queue sort plugin required for profile with scheduler name "p", but got 0`},
		{"    queueSort: {enabled: [{name: PrioritySort}]}\n    multiPoint: {disabled: [{name: PrioritySort}]}\n    bind: {disabled: [{name: '*'}]}\n", `at least one bind plugin is needed for profile with scheduler name "p"`},
		{"    score: {enabled: [{name: ImageLocality, weight: 101}]}\n", "plugin ImageLocality weight 101 not in 0..100"},
	} {
		_, err := Parse([]byte(header + tc.plugins))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.plugins, err, tc.want)
		}
	}
}
