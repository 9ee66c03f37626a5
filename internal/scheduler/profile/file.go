package profile

import (
	"errors"
	"fmt"
	"os"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/capstan/capstan/internal/scheduler/plugins/interpodaffinity"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
	"github.com/capstan/capstan/internal/scheduler/plugins/podtopologyspread"
)

// fileConfig is the part of upstream's KubeSchedulerConfiguration
// (kubescheduler.config.k8s.io/v1) Capstan reads: the profiles with their
// plugins, weights and plugin arguments, and percentageOfNodesToScore.
type fileConfig struct {
	APIVersion               string        `json:"apiVersion"`
	Kind                     string        `json:"kind"`
	PercentageOfNodesToScore *int32        `json:"percentageOfNodesToScore"`
	Profiles                 []fileProfile `json:"profiles"`
}

type fileProfile struct {
	SchedulerName            *string            `json:"schedulerName"`
	PercentageOfNodesToScore *int32             `json:"percentageOfNodesToScore"`
	Plugins                  *filePlugins       `json:"plugins"`
	PluginConfig             []filePluginConfig `json:"pluginConfig"`
}

// filePluginConfig holds the arguments of any plugin Capstan reads; which
// fields count depends on the name.
type filePluginConfig struct {
	Name string `json:"name"`
	Args struct {
		ScoringStrategy *struct {
			Type      noderesources.ScoringStrategyType `json:"type"`
			Resources []struct {
				Name   v1.ResourceName `json:"name"`
				Weight int64           `json:"weight"`
			} `json:"resources"`
		} `json:"scoringStrategy"`
		HardPodAffinityWeight *int32                           `json:"hardPodAffinityWeight"`
		DefaultingType        podtopologyspread.DefaultingType `json:"defaultingType"`
		DefaultConstraints    []v1.TopologySpreadConstraint    `json:"defaultConstraints"`
	} `json:"args"`
}

// filePlugins is upstream's v1 Plugins: one set per extension point.
type filePlugins struct {
	PreEnqueue fileSet `json:"preEnqueue"`
	QueueSort  fileSet `json:"queueSort"`
	PreFilter  fileSet `json:"preFilter"`
	Filter     fileSet `json:"filter"`
	PostFilter fileSet `json:"postFilter"`
	PreScore   fileSet `json:"preScore"`
	Score      fileSet `json:"score"`
	Reserve    fileSet `json:"reserve"`
	Permit     fileSet `json:"permit"`
	PreBind    fileSet `json:"preBind"`
	Bind       fileSet `json:"bind"`
	PostBind   fileSet `json:"postBind"`
	MultiPoint fileSet `json:"multiPoint"`
}

// merge applies the file's sets to the default plugins, point by point.
func (fp *filePlugins) merge(def Plugins) Plugins {
	out := def.clone()
	for _, pair := range []struct {
		dst *PluginSet
		src fileSet
	}{
		{&out.PreEnqueue, fp.PreEnqueue}, {&out.QueueSort, fp.QueueSort}, {&out.PreFilter, fp.PreFilter},
		{&out.Filter, fp.Filter}, {&out.PostFilter, fp.PostFilter}, {&out.PreScore, fp.PreScore},
		{&out.Score, fp.Score}, {&out.Reserve, fp.Reserve}, {&out.Permit, fp.Permit}, {&out.PreBind, fp.PreBind},
		{&out.Bind, fp.Bind}, {&out.PostBind, fp.PostBind}, {&out.MultiPoint, fp.MultiPoint},
	} {
		*pair.dst = mergePluginSet(*pair.dst, pair.src.set())
	}
	return out
}

type fileSet struct {
	Enabled  []filePlugin `json:"enabled"`
	Disabled []filePlugin `json:"disabled"`
}

type filePlugin struct {
	Name   string `json:"name"`
	Weight *int32 `json:"weight"`
}

// set converts the file's set; an omitted weight is 0 (1 when scored).
func (s fileSet) set() PluginSet {
	var out PluginSet
	for _, e := range s.Enabled {
		p := Plugin{Name: e.Name}
		if e.Weight != nil {
			p.Weight = *e.Weight
		}
		out.Enabled = append(out.Enabled, p)
	}
	for _, d := range s.Disabled {
		out.Disabled = append(out.Disabled, Plugin{Name: d.Name})
	}
	return out
}

// LoadFile reads a KubeSchedulerConfiguration file and returns its
// profiles, each applied to the default profile. Unknown fields, plugins
// and strategies are errors that name what is wrong.
func LoadFile(path string) ([]Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scheduler config: %w", err)
	}
	cfgs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("scheduler config %s: %w", path, err)
	}
	return cfgs, nil
}

// Parse applies each profile of a KubeSchedulerConfiguration document to
// the default profile. No profiles means the default profile; a single
// profile may omit schedulerName (default-scheduler); with several, each
// must name a scheduler of its own, as upstream validates.
func Parse(data []byte) ([]Config, error) {
	var f fileConfig
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, err
	}
	if f.Kind != "KubeSchedulerConfiguration" || f.APIVersion != "kubescheduler.config.k8s.io/v1" {
		return nil, fmt.Errorf("want apiVersion kubescheduler.config.k8s.io/v1, kind KubeSchedulerConfiguration; got %s %s", f.APIVersion, f.Kind)
	}
	base := Default()
	if p := f.PercentageOfNodesToScore; p != nil {
		if *p < 0 || *p > 100 {
			return nil, fmt.Errorf("percentageOfNodesToScore: %d is not between 0 and 100", *p)
		}
		base.PercentageOfNodesToScore = *p
	}
	if len(f.Profiles) == 0 {
		return []Config{base}, nil
	}
	if len(f.Profiles) == 1 && f.Profiles[0].SchedulerName == nil {
		name := DefaultSchedulerName
		f.Profiles[0].SchedulerName = &name
	}
	seen := map[string]bool{}
	out := make([]Config, 0, len(f.Profiles))
	for i, fp := range f.Profiles {
		switch {
		case fp.SchedulerName == nil || *fp.SchedulerName == "":
			return nil, fmt.Errorf("profiles[%d].schedulerName: Required value", i)
		case seen[*fp.SchedulerName]:
			return nil, fmt.Errorf("profiles[%d].schedulerName: Duplicate value: %q", i, *fp.SchedulerName)
		}
		seen[*fp.SchedulerName] = true
		cfg, err := applyProfile(base, fp)
		if err != nil {
			return nil, fmt.Errorf("profiles[%d] (%s): %w", i, *fp.SchedulerName, err)
		}
		// As upstream's scheduler refuses to start, so does the file.
		if _, err := cfg.resolve(&Deps{}); err != nil {
			return nil, fmt.Errorf("creating profile for scheduler name %s: %w", cfg.SchedulerName, err)
		}
		out = append(out, cfg)
	}
	return out, nil
}

func applyProfile(cfg Config, p fileProfile) (Config, error) {
	cfg.SchedulerName = *p.SchedulerName
	if pct := p.PercentageOfNodesToScore; pct != nil {
		if *pct < 0 || *pct > 100 {
			return Config{}, fmt.Errorf("percentageOfNodesToScore: %d is not between 0 and 100", *pct)
		}
		cfg.PercentageOfNodesToScore = *pct
	}
	if p.Plugins != nil {
		cfg.Plugins = p.Plugins.merge(cfg.Plugins)
	}
	for _, pc := range p.PluginConfig {
		if _, err := newInTreePlugin(pc.Name, &cfg, &Deps{}); errors.Is(err, errUnknownPlugin) {
			return Config{}, fmt.Errorf("pluginConfig: %w", err)
		}
		if err := applyPluginConfig(&cfg, &pc); err != nil {
			return Config{}, fmt.Errorf("pluginConfig %s: %w", pc.Name, err)
		}
	}
	return cfg, nil
}

// applyPluginConfig sets the arguments of one plugin in cfg.
func applyPluginConfig(cfg *Config, pc *filePluginConfig) error {
	switch pc.Name {
	case noderesources.FitName:
		s := pc.Args.ScoringStrategy
		if s == nil {
			return nil
		}
		if s.Type != noderesources.LeastAllocated && s.Type != noderesources.MostAllocated {
			return fmt.Errorf("scoringStrategy.type %q: want LeastAllocated or MostAllocated", s.Type)
		}
		cfg.NodeResourcesFit.ScoringStrategy = s.Type
		if len(s.Resources) > 0 {
			cfg.NodeResourcesFit.Resources = nil
			for _, r := range s.Resources {
				cfg.NodeResourcesFit.Resources = append(cfg.NodeResourcesFit.Resources, noderesources.ResourceSpec{Name: r.Name, Weight: max(r.Weight, 1)})
			}
		}
	case interpodaffinity.Name:
		if w := pc.Args.HardPodAffinityWeight; w != nil {
			cfg.HardPodAffinityWeight = *w
		}
	case podtopologyspread.Name:
		args := podtopologyspread.Args{DefaultingType: pc.Args.DefaultingType, DefaultConstraints: pc.Args.DefaultConstraints}
		if args.DefaultingType == "" {
			args.DefaultingType = podtopologyspread.SystemDefaulting
		}
		if err := args.Validate(); err != nil {
			return err
		}
		cfg.PodTopologySpread = args
	}
	return nil
}
