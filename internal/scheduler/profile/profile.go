package profile

import (
	"errors"
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

// Plugin names one plugin in a PluginSet; Weight matters only for
// scoring plugins enabled under score or multiPoint (0 means 1, as
// upstream).
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
	// Plugins are the plugins per extension point, after merging with the
	// defaults (see PluginSet); Build places them as upstream's framework.
	Plugins Plugins
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

// Enabled reports whether c enables the named plugin at some extension
// point (a plugin that does not build counts as not enabled).
func (c Config) Enabled(name string) bool {
	r, err := c.resolve(&Deps{})
	if err != nil {
		return slices.Contains(c.Plugins.names(), name)
	}
	for _, pls := range r.byPoint {
		if slices.ContainsFunc(pls, func(p framework.Plugin) bool { return p.Name() == name }) {
			return true
		}
	}
	return false
}

// Default returns upstream's default profile, every plugin under
// multiPoint: SchedulingGates, PrioritySort, NodeUnschedulable, NodeName,
// TaintToleration (score weight 3), NodeAffinity (2), NodePorts,
// NodeResourcesFit (1, least allocated), PodTopologySpread (2),
// InterPodAffinity (2), DefaultPreemption, NodeResourcesBalancedAllocation
// (1), ImageLocality (1), DefaultBinder.
func Default() Config {
	return Config{
		SchedulerName: DefaultSchedulerName,
		Plugins: Plugins{MultiPoint: PluginSet{Enabled: []Plugin{
			{Name: SchedulingGatesName},
			{Name: PrioritySortName},
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
			{Name: DefaultBinderName},
		}}},
		NodeResourcesFit: noderesources.DefaultFitArgs(),
	}
}

// Disable returns a copy of c without the named plugins at any extension
// point.
func (c Config) Disable(names ...string) Config {
	c.Plugins = c.Plugins.clone()
	drop := func(p Plugin) bool { return slices.Contains(names, p.Name) }
	c.Plugins.MultiPoint.Enabled = slices.DeleteFunc(c.Plugins.MultiPoint.Enabled, drop)
	for _, pt := range points() {
		s := pt.set(&c.Plugins)
		s.Enabled = slices.DeleteFunc(s.Enabled, drop)
	}
	return c
}

// WithWeight returns a copy of c with the named plugin's score weight set
// where its weight is read (score, else multiPoint), enabling it under
// multiPoint if it was enabled at neither.
func (c Config) WithWeight(name string, weight int32) Config {
	c.Plugins = c.Plugins.clone()
	for _, s := range []*PluginSet{&c.Plugins.Score, &c.Plugins.MultiPoint} {
		if i := slices.IndexFunc(s.Enabled, func(p Plugin) bool { return p.Name == name }); i >= 0 {
			s.Enabled[i].Weight = weight
			return c
		}
	}
	c.Plugins.MultiPoint.Enabled = append(c.Plugins.MultiPoint.Enabled, Plugin{Name: name, Weight: weight})
	return c
}

// Build validates c and returns the framework of its plugins, without
// collaborators (preemption then decides but does not act).
func Build(c Config) (*framework.Framework, error) { return BuildWithDeps(c, Deps{}) }

// BuildWithDeps is Build with the running scheduler's collaborators. Its
// errors name the plugin and extension point in upstream's words, e.g.
// `FilterPlugin "Nope" does not exist`.
func BuildWithDeps(c Config, deps Deps) (*framework.Framework, error) {
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		return nil, fmt.Errorf("profile %q: percentageOfNodesToScore %d not in 0..100", c.SchedulerName, c.PercentageOfNodesToScore)
	}
	r, err := c.resolve(&deps)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", c.SchedulerName, err)
	}
	return framework.NewFrameworkPerPoint(r.framePoints()), nil
}

// resolve instantiates the plugins c enables and places them on the
// extension points; it checks weights, queue sort and bind as upstream.
func (c Config) resolve(deps *Deps) (*resolved, error) {
	for _, s := range []PluginSet{c.Plugins.Score, c.Plugins.MultiPoint} {
		for _, p := range s.Enabled {
			if p.Weight < 0 || p.Weight > 100 {
				return nil, fmt.Errorf("plugin %s weight %d not in 0..100", p.Name, p.Weight)
			}
		}
	}
	instances := map[string]framework.Plugin{}
	for _, name := range c.Plugins.names() {
		pl, err := newInTreePlugin(name, &c, deps)
		if errors.Is(err, errUnknownPlugin) {
			continue // resolve names it with the extension point
		}
		if err != nil {
			return nil, err
		}
		instances[name] = pl
	}
	r, err := resolve(&c.Plugins, instances)
	if err != nil {
		return nil, err
	}
	if n := len(r.byPoint["QueueSortPlugin"]); n != 1 {
		return nil, fmt.Errorf("only one queue sort plugin required for profile with scheduler name %q, but got %d", c.SchedulerName, n)
	}
	if len(r.byPoint["BindPlugin"]) == 0 {
		return nil, fmt.Errorf("at least one bind plugin is needed for profile with scheduler name %q", c.SchedulerName)
	}
	return r, nil
}

// framePoints converts r into the framework's per-point plugin lists.
func (r *resolved) framePoints() framework.PointPlugins {
	var out framework.PointPlugins
	for _, pl := range r.byPoint["PreFilterPlugin"] {
		out.PreFilter = append(out.PreFilter, pl.(framework.PreFilterPlugin))
	}
	for _, pl := range r.byPoint["FilterPlugin"] {
		out.Filter = append(out.Filter, pl.(framework.FilterPlugin))
	}
	for _, pl := range r.byPoint["PostFilterPlugin"] {
		out.PostFilter = append(out.PostFilter, pl.(framework.PostFilterPlugin))
	}
	for _, pl := range r.byPoint["PreScorePlugin"] {
		out.PreScore = append(out.PreScore, pl.(framework.PreScorePlugin))
	}
	for _, pl := range r.byPoint["ScorePlugin"] {
		out.Score = append(out.Score, framework.WeightedScore{Plugin: pl.(framework.ScorePlugin), Weight: r.weights[pl.Name()]})
	}
	return out
}
