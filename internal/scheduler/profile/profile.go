package profile

import (
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/plugins/defaultpreemption"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
	"github.com/capstan/capstan/internal/scheduler/plugins/podtopologyspread"
)

// DefaultSchedulerName is the name pods get by default in spec.schedulerName.
const DefaultSchedulerName = v1.DefaultSchedulerName

// Plugin enables one plugin; Weight matters only for scoring plugins
// (0 means 1, as upstream).
type Plugin struct {
	Name   string
	Weight int32
}

// Config is one scheduling profile.
type Config struct {
	// SchedulerName is the spec.schedulerName this profile serves.
	SchedulerName string
	// PercentageOfNodesToScore: 0 is adaptive (50% - nodes/125, ≥5%).
	PercentageOfNodesToScore int32
	// Plugins are the enabled plugins in the order they run at each
	// extension point they implement.
	Plugins []Plugin
	// NodeResourcesFit holds that plugin's arguments (scoring strategy).
	NodeResourcesFit noderesources.FitArgs
	// BalancedAllocationResources are the resources balanced (cpu, memory
	// if empty).
	BalancedAllocationResources []v1.ResourceName
	// HardPodAffinityWeight is InterPodAffinity's weight for existing
	// pods' required affinity terms (0 means 1, as upstream).
	HardPodAffinityWeight int32
	// PodTopologySpread holds that plugin's arguments (default
	// constraints); the zero value is upstream's System defaulting.
	PodTopologySpread podtopologyspread.Args
}

// Deps are the running scheduler's collaborators some plugins need; the
// zero value is fine for pure decisions (tests, benchmarks).
type Deps struct {
	// Preemption gives DefaultPreemption its evictor, PDB lister and
	// nominator.
	Preemption defaultpreemption.Options
	// NamespaceLabels lets InterPodAffinity evaluate namespaceSelectors.
	NamespaceLabels func(ns string) labels.Set
	// Workloads lets PodTopologySpread build the selector of its default
	// constraints; nil applies no default constraints.
	Workloads podtopologyspread.Workloads
}

// Enabled reports whether c enables the named plugin.
func (c Config) Enabled(name string) bool {
	return slices.ContainsFunc(c.Plugins, func(p Plugin) bool { return p.Name == name })
}

// Default returns upstream's default profile: filters NodeUnschedulable,
// NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit;
// PodTopologySpread, InterPodAffinity; scores TaintToleration 3,
// NodeAffinity 2, NodeResourcesFit 1 (least allocated), PodTopologySpread
// 2, InterPodAffinity 2, NodeResourcesBalancedAllocation 1, ImageLocality
// 1; PostFilter DefaultPreemption.
func Default() Config {
	return Config{
		SchedulerName: DefaultSchedulerName,
		Plugins: []Plugin{
			{Name: "NodeUnschedulable"},
			{Name: "NodeName"},
			{Name: "TaintToleration", Weight: 3},
			{Name: "NodeAffinity", Weight: 2},
			{Name: "NodePorts"},
			{Name: "NodeResourcesFit", Weight: 1},
			{Name: "PodTopologySpread", Weight: 2},
			{Name: "InterPodAffinity", Weight: 2},
			{Name: "DefaultPreemption"},
			{Name: "NodeResourcesBalancedAllocation", Weight: 1},
			{Name: "ImageLocality", Weight: 1},
		},
		NodeResourcesFit: noderesources.DefaultFitArgs(),
	}
}

// Disable returns a copy of c without the named plugins.
func (c Config) Disable(names ...string) Config {
	c.Plugins = slices.DeleteFunc(slices.Clone(c.Plugins), func(p Plugin) bool { return slices.Contains(names, p.Name) })
	return c
}

// WithWeight returns a copy of c with the named plugin's weight set,
// enabling it at the end if it was not enabled.
func (c Config) WithWeight(name string, weight int32) Config {
	c.Plugins = slices.Clone(c.Plugins)
	for i := range c.Plugins {
		if c.Plugins[i].Name == name {
			c.Plugins[i].Weight = weight
			return c
		}
	}
	c.Plugins = append(c.Plugins, Plugin{Name: name, Weight: weight})
	return c
}

// Build validates c and returns the framework of its plugins, without
// collaborators (preemption then decides but does not act).
func Build(c Config) (*framework.Framework, error) { return BuildWithDeps(c, Deps{}) }

// BuildWithDeps is Build with the running scheduler's collaborators.
func BuildWithDeps(c Config, deps Deps) (*framework.Framework, error) {
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		return nil, fmt.Errorf("profile %q: percentageOfNodesToScore %d not in 0..100", c.SchedulerName, c.PercentageOfNodesToScore)
	}
	seen := map[string]bool{}
	entries := make([]framework.PluginEntry, 0, len(c.Plugins))
	for _, p := range c.Plugins {
		if seen[p.Name] {
			return nil, fmt.Errorf("profile %q: plugin %s enabled twice", c.SchedulerName, p.Name)
		}
		seen[p.Name] = true
		if p.Weight < 0 || p.Weight > 100 {
			return nil, fmt.Errorf("profile %q: plugin %s weight %d not in 0..100", c.SchedulerName, p.Name, p.Weight)
		}
		pl, err := newInTreePlugin(p.Name, &c, &deps)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", c.SchedulerName, err)
		}
		entries = append(entries, framework.PluginEntry{Plugin: pl, Weight: int64(p.Weight)})
	}
	return framework.NewFramework(entries), nil
}
