package profile

import (
	"fmt"
	"slices"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// PluginSet is the enabled and disabled plugins of one extension point, as
// upstream's v1 PluginSet. A disabled "*" drops every default plugin of
// that point (and, for a point other than multiPoint, every plugin
// multiPoint would add there).
type PluginSet struct {
	Enabled  []Plugin
	Disabled []Plugin
}

// Plugins holds a profile's plugins per extension point, as upstream's v1
// Plugins. MultiPoint enables a plugin at every point it implements;
// Default() enables every default plugin there.
type Plugins struct {
	PreEnqueue PluginSet
	QueueSort  PluginSet
	PreFilter  PluginSet
	Filter     PluginSet
	PostFilter PluginSet
	PreScore   PluginSet
	Score      PluginSet
	Reserve    PluginSet
	Permit     PluginSet
	PreBind    PluginSet
	Bind       PluginSet
	PostBind   PluginSet
	MultiPoint PluginSet
}

// point is one extension point other than multiPoint: its set in Plugins,
// upstream's plugin interface name (for messages) and whether a plugin
// implements it.
type point struct {
	set        func(*Plugins) *PluginSet
	typeName   string
	implements func(framework.Plugin) bool
}

// points lists the extension points in the order upstream builds them,
// so the first error reported is upstream's.
func points() []point {
	is := func(p shellPoint) func(framework.Plugin) bool {
		return func(pl framework.Plugin) bool { s, ok := pl.(*shellPlugin); return ok && s.point == p }
	}
	none := func(framework.Plugin) bool { return false }
	return []point{
		{func(p *Plugins) *PluginSet { return &p.PreFilter }, "PreFilterPlugin", func(pl framework.Plugin) bool { _, ok := pl.(framework.PreFilterPlugin); return ok }},
		{func(p *Plugins) *PluginSet { return &p.Filter }, "FilterPlugin", func(pl framework.Plugin) bool { _, ok := pl.(framework.FilterPlugin); return ok }},
		{func(p *Plugins) *PluginSet { return &p.PostFilter }, "PostFilterPlugin", func(pl framework.Plugin) bool { _, ok := pl.(framework.PostFilterPlugin); return ok }},
		{func(p *Plugins) *PluginSet { return &p.Reserve }, "ReservePlugin", none},
		{func(p *Plugins) *PluginSet { return &p.PreScore }, "PreScorePlugin", func(pl framework.Plugin) bool { _, ok := pl.(framework.PreScorePlugin); return ok }},
		{func(p *Plugins) *PluginSet { return &p.Score }, "ScorePlugin", func(pl framework.Plugin) bool { _, ok := pl.(framework.ScorePlugin); return ok }},
		{func(p *Plugins) *PluginSet { return &p.PreBind }, "PreBindPlugin", none},
		{func(p *Plugins) *PluginSet { return &p.Bind }, "BindPlugin", is(bindPoint)},
		{func(p *Plugins) *PluginSet { return &p.PostBind }, "PostBindPlugin", none},
		{func(p *Plugins) *PluginSet { return &p.Permit }, "PermitPlugin", none},
		{func(p *Plugins) *PluginSet { return &p.PreEnqueue }, "PreEnqueuePlugin", is(preEnqueuePoint)},
		{func(p *Plugins) *PluginSet { return &p.QueueSort }, "QueueSortPlugin", is(queueSortPoint)},
	}
}

// names returns every plugin name enabled at any point, in first-seen
// order (multiPoint last).
func (p *Plugins) names() []string {
	var out []string
	add := func(s PluginSet) {
		for _, e := range s.Enabled {
			if !slices.Contains(out, e.Name) {
				out = append(out, e.Name)
			}
		}
	}
	for _, pt := range points() {
		add(*pt.set(p))
	}
	add(p.MultiPoint)
	return out
}

// clone deep-copies the slices so a Config's helpers never share them.
func (p Plugins) clone() Plugins {
	sets := []*PluginSet{&p.MultiPoint}
	for _, pt := range points() {
		sets = append(sets, pt.set(&p))
	}
	for _, s := range sets {
		s.Enabled = slices.Clone(s.Enabled)
		s.Disabled = slices.Clone(s.Disabled)
	}
	return p
}

// mergePluginSet applies a configured set to a default set as upstream's
// v1 defaulting does: defaults stay in order unless disabled (all of them
// for "*"); an enabled plugin that is a default replaces it in place (its
// weight wins); other enabled plugins follow. Disabled entries are kept
// so that multiPoint expansion honours them.
func mergePluginSet(def, custom PluginSet) PluginSet {
	disabled := map[string]bool{}
	out := PluginSet{}
	for _, d := range custom.Disabled {
		disabled[d.Name] = true
		out.Disabled = append(out.Disabled, Plugin{Name: d.Name})
	}
	replaced := map[int]bool{}
	if !disabled["*"] {
		for _, d := range def.Enabled {
			if disabled[d.Name] {
				continue
			}
			if i := slices.IndexFunc(custom.Enabled, func(e Plugin) bool { return e.Name == d.Name }); i >= 0 {
				d = custom.Enabled[i]
				replaced[i] = true
			}
			out.Enabled = append(out.Enabled, d)
		}
	}
	for i, e := range custom.Enabled {
		if !replaced[i] {
			out.Enabled = append(out.Enabled, e)
		}
	}
	return out
}

// resolved is a profile's plugins placed on each extension point, with
// the score weights.
type resolved struct {
	byPoint map[string][]framework.Plugin // by upstream type name
	weights map[string]int64
}

// resolve places the instantiated plugins on the extension points as
// upstream's framework does: first each point's own enabled list (unknown
// plugin, plugin not implementing the point and double registration are
// errors with upstream's messages), then multiPoint's plugins at every
// point they implement, unless that point disables "*" or the plugin;
// a plugin also enabled at the point itself keeps that position first.
// Weights come from score.enabled, then multiPoint.enabled (0 means 1).
func resolve(p *Plugins, instances map[string]framework.Plugin) (*resolved, error) {
	r := &resolved{byPoint: map[string][]framework.Plugin{}, weights: map[string]int64{}}
	for _, pt := range points() {
		set := pt.set(p)
		var own []string
		for _, e := range set.Enabled {
			pl, ok := instances[e.Name]
			switch {
			case !ok:
				return nil, fmt.Errorf("%s %q does not exist", pt.typeName, e.Name)
			case !pt.implements(pl):
				return nil, fmt.Errorf("plugin %q does not extend %s plugin", e.Name, pt.typeName)
			case slices.Contains(own, e.Name):
				return nil, fmt.Errorf("plugin %q already registered as %q", e.Name, pt.typeName)
			}
			own = append(own, e.Name)
		}
		ordered, err := expandMultiPoint(pt, set, own, p.MultiPoint.Enabled, instances)
		if err != nil {
			return nil, err
		}
		for _, name := range ordered {
			r.byPoint[pt.typeName] = append(r.byPoint[pt.typeName], instances[name])
		}
	}
	for _, e := range append(slices.Clone(p.Score.Enabled), p.MultiPoint.Enabled...) {
		if _, ok := instances[e.Name].(framework.ScorePlugin); !ok {
			continue
		}
		if _, ok := r.weights[e.Name]; !ok {
			r.weights[e.Name] = int64(max(e.Weight, 1))
		}
	}
	return r, nil
}

// expandMultiPoint returns the order of one point's plugins: those enabled
// both at the point and in multiPoint (the point's setting wins), then
// multiPoint's others, then the point's others.
func expandMultiPoint(pt point, set *PluginSet, own []string, multi []Plugin, instances map[string]framework.Plugin) ([]string, error) {
	if slices.ContainsFunc(set.Disabled, func(d Plugin) bool { return d.Name == "*" }) {
		return own, nil
	}
	var fromMulti, overrides []string
	for _, e := range multi {
		pl, ok := instances[e.Name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s %q does not exist", pt.typeName, e.Name)
		case !pt.implements(pl),
			slices.ContainsFunc(set.Disabled, func(d Plugin) bool { return d.Name == e.Name }):
			continue
		case slices.Contains(own, e.Name):
			overrides = append(overrides, e.Name)
			continue
		case slices.Contains(fromMulti, e.Name):
			return nil, fmt.Errorf("plugin %q already registered as %q", e.Name, pt.typeName)
		}
		fromMulti = append(fromMulti, e.Name)
	}
	out := make([]string, 0, len(own)+len(fromMulti))
	for _, name := range own {
		if slices.Contains(overrides, name) {
			out = append(out, name)
		}
	}
	out = append(out, fromMulti...)
	for _, name := range own {
		if !slices.Contains(overrides, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
