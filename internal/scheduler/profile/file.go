package profile

import (
	"errors"
	"fmt"
	"os"
	"slices"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
)

// fileConfig is the part of upstream's KubeSchedulerConfiguration
// (kubescheduler.config.k8s.io/v1) Capstan reads: one profile's plugins,
// weights and NodeResourcesFit arguments, and percentageOfNodesToScore.
type fileConfig struct {
	APIVersion               string        `json:"apiVersion"`
	Kind                     string        `json:"kind"`
	PercentageOfNodesToScore *int32        `json:"percentageOfNodesToScore"`
	Profiles                 []fileProfile `json:"profiles"`
}

type fileProfile struct {
	SchedulerName string `json:"schedulerName"`
	Plugins       *struct {
		MultiPoint fileSet `json:"multiPoint"`
		Filter     fileSet `json:"filter"`
		Score      fileSet `json:"score"`
	} `json:"plugins"`
	PluginConfig []struct {
		Name string `json:"name"`
		Args struct {
			ScoringStrategy *struct {
				Type      noderesources.ScoringStrategyType `json:"type"`
				Resources []struct {
					Name   v1.ResourceName `json:"name"`
					Weight int64           `json:"weight"`
				} `json:"resources"`
			} `json:"scoringStrategy"`
			HardPodAffinityWeight *int32 `json:"hardPodAffinityWeight"`
		} `json:"args"`
	} `json:"pluginConfig"`
}

type fileSet struct {
	Enabled  []filePlugin `json:"enabled"`
	Disabled []filePlugin `json:"disabled"`
}

type filePlugin struct {
	Name   string `json:"name"`
	Weight *int32 `json:"weight"`
}

// LoadFile reads a KubeSchedulerConfiguration file and applies it to the
// default profile. Unknown fields, plugins and strategies are errors that
// name what is wrong; more than one profile is refused (Capstan runs one).
func LoadFile(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("scheduler config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("scheduler config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse applies a KubeSchedulerConfiguration document to the default
// profile.
func Parse(data []byte) (Config, error) {
	var f fileConfig
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return Config{}, err
	}
	if f.Kind != "KubeSchedulerConfiguration" || f.APIVersion != "kubescheduler.config.k8s.io/v1" {
		return Config{}, fmt.Errorf("want apiVersion kubescheduler.config.k8s.io/v1, kind KubeSchedulerConfiguration; got %s %s", f.APIVersion, f.Kind)
	}
	cfg := Default()
	if p := f.PercentageOfNodesToScore; p != nil {
		if *p < 0 || *p > 100 {
			return Config{}, fmt.Errorf("percentageOfNodesToScore: %d is not between 0 and 100", *p)
		}
		cfg.PercentageOfNodesToScore = *p
	}
	switch len(f.Profiles) {
	case 0:
		return cfg, nil
	case 1:
	default:
		return Config{}, errors.New("profiles: only one profile is supported")
	}
	return applyProfile(cfg, f.Profiles[0])
}

func applyProfile(cfg Config, p fileProfile) (Config, error) {
	if p.SchedulerName != "" {
		cfg.SchedulerName = p.SchedulerName
	}
	known := func(name string) error {
		if !slices.ContainsFunc(Default().Plugins, func(pl Plugin) bool { return pl.Name == name }) {
			return fmt.Errorf("plugins: unknown plugin %q", name)
		}
		return nil
	}
	if p.Plugins != nil {
		for _, set := range []fileSet{p.Plugins.MultiPoint, p.Plugins.Filter, p.Plugins.Score} {
			for _, d := range set.Disabled {
				if d.Name == "*" {
					cfg.Plugins = nil
					continue
				}
				if err := known(d.Name); err != nil {
					return Config{}, err
				}
				cfg = cfg.Disable(d.Name)
			}
			for _, e := range set.Enabled {
				if err := known(e.Name); err != nil {
					return Config{}, err
				}
				w := defaultWeight(e.Name)
				if e.Weight != nil {
					w = *e.Weight
				}
				cfg = cfg.WithWeight(e.Name, w)
			}
		}
	}
	for _, pc := range p.PluginConfig {
		if err := known(pc.Name); err != nil {
			return Config{}, fmt.Errorf("pluginConfig: %w", err)
		}
		if s := pc.Args.ScoringStrategy; s != nil && pc.Name == "NodeResourcesFit" {
			if s.Type != noderesources.LeastAllocated && s.Type != noderesources.MostAllocated {
				return Config{}, fmt.Errorf("pluginConfig NodeResourcesFit: scoringStrategy.type %q: want LeastAllocated or MostAllocated", s.Type)
			}
			cfg.NodeResourcesFit.ScoringStrategy = s.Type
			if len(s.Resources) > 0 {
				cfg.NodeResourcesFit.Resources = nil
				for _, r := range s.Resources {
					cfg.NodeResourcesFit.Resources = append(cfg.NodeResourcesFit.Resources, noderesources.ResourceSpec{Name: r.Name, Weight: max(r.Weight, 1)})
				}
			}
		}
		if w := pc.Args.HardPodAffinityWeight; w != nil && pc.Name == "InterPodAffinity" {
			cfg.HardPodAffinityWeight = *w
		}
	}
	return cfg, nil
}

// defaultWeight is a plugin's weight in the default profile (0 for
// filter-only plugins).
func defaultWeight(name string) int32 {
	for _, p := range Default().Plugins {
		if p.Name == name {
			return p.Weight
		}
	}
	return 0
}
