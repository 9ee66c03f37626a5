package framework

import (
	"context"
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
)

// PluginEntry is one enabled plugin with its score weight (ignored unless
// the plugin scores).
type PluginEntry struct {
	Plugin Plugin
	Weight int64
}

// WeightedScore is a Score plugin with its weight.
type WeightedScore struct {
	Plugin ScorePlugin
	Weight int64
}

// PointPlugins are the plugins of each extension point the framework runs,
// in running order; a plugin may appear at some points and not others
// (a profile's configuration decides). Explainers are not listed: every
// Filter plugin that implements Explainer explains.
type PointPlugins struct {
	PreFilter  []PreFilterPlugin
	Filter     []FilterPlugin
	PostFilter []PostFilterPlugin
	PreScore   []PreScorePlugin
	Score      []WeightedScore
}

// Framework runs the enabled plugins of one profile at each extension point,
// in the order they were given.
type Framework struct {
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []WeightedScore
	explainers []Explainer
}

// NewFramework sorts the plugins onto every extension point they
// implement (upstream's multiPoint). A scoring plugin with weight 0 gets
// weight 1, as upstream.
func NewFramework(entries []PluginEntry) *Framework {
	var pp PointPlugins
	for _, e := range entries {
		if p, ok := e.Plugin.(PreFilterPlugin); ok {
			pp.PreFilter = append(pp.PreFilter, p)
		}
		if p, ok := e.Plugin.(FilterPlugin); ok {
			pp.Filter = append(pp.Filter, p)
		}
		if p, ok := e.Plugin.(PostFilterPlugin); ok {
			pp.PostFilter = append(pp.PostFilter, p)
		}
		if p, ok := e.Plugin.(PreScorePlugin); ok {
			pp.PreScore = append(pp.PreScore, p)
		}
		if p, ok := e.Plugin.(ScorePlugin); ok {
			pp.Score = append(pp.Score, WeightedScore{p, e.Weight})
		}
	}
	return NewFrameworkPerPoint(pp)
}

// NewFrameworkPerPoint runs exactly the given plugins at each point. The
// slices are copied; a Score weight below 1 counts as 1.
func NewFrameworkPerPoint(pp PointPlugins) *Framework {
	f := &Framework{
		preFilter:  slices.Clone(pp.PreFilter),
		filter:     slices.Clone(pp.Filter),
		postFilter: slices.Clone(pp.PostFilter),
		preScore:   slices.Clone(pp.PreScore),
	}
	for _, s := range pp.Score {
		f.score = append(f.score, WeightedScore{s.Plugin, max(s.Weight, 1)})
	}
	for _, p := range f.filter {
		if e, ok := p.(Explainer); ok {
			f.explainers = append(f.explainers, e)
		}
	}
	return f
}

// cycle is the per-cycle bookkeeping kept beside the plugins' CycleState.
type cycle struct {
	state *CycleState
	// skipFilter names the plugins whose PreFilter returned Skip (their
	// Filter does not run this cycle); skipScore those whose PreScore did
	// (their Score does not run).
	skipFilter, skipScore []string
	// runners, when not nil, memoizes cycle runners per skip mask.
	runners map[uint64]*cycleRunner
	// nominated are the nominated pods per node that this pod must leave
	// room for (nil: none).
	nominated map[string][]*PodInfo
}

// filters are the Filter plugins PreFilter did not skip (nil before it
// passed).
func (c *cycle) filters() []FilterPlugin {
	if c.state.run == nil {
		return nil
	}
	return c.state.run.filters
}

// runPreFilter runs every PreFilter plugin; a rejection stops the chain and
// carries the plugin name. Skipped plugins are remembered in c.
func (f *Framework) runPreFilter(ctx context.Context, c *cycle, pod *v1.Pod, snap *Snapshot) *Status {
	var mask uint64
	for i, p := range f.preFilter {
		st := p.PreFilter(ctx, c.state, pod, snap)
		switch {
		case st.IsSkip():
			c.skipFilter = append(c.skipFilter, p.Name())
			mask |= 1 << i // 0 past 64 plugins, which are not memoized
		case st.Code() == Error:
			return AsStatus(fmt.Errorf("prefilter plugin %s: %w", p.Name(), st.AsError())).WithPlugin(p.Name())
		case !st.IsSuccess():
			return st.WithPlugin(p.Name())
		}
	}
	if c.runners == nil || len(f.preFilter) > 64 {
		c.state.run = f.newCycleRunner(c)
		return nil
	}
	run := c.runners[mask]
	if run == nil {
		run = f.newCycleRunner(c)
		c.runners[mask] = run
	}
	c.state.run = run
	return nil
}

// newCycleRunner lists the Filter plugins and PreFilterExtensions that
// PreFilter did not skip in c. It depends only on which were skipped.
func (f *Framework) newCycleRunner(c *cycle) *cycleRunner {
	run := &cycleRunner{filters: make([]FilterPlugin, 0, len(f.filter))}
	for _, p := range f.filter {
		if !slices.Contains(c.skipFilter, p.Name()) {
			run.filters = append(run.filters, p)
		}
	}
	for _, p := range f.preFilter {
		if x, ok := p.(PreFilterExtender); ok && !slices.Contains(c.skipFilter, p.Name()) {
			if ext := x.PreFilterExtensions(); ext != nil {
				run.extensions = append(run.extensions, namedExtensions{p.Name(), ext})
			}
		}
	}
	return run
}

// runFilters runs filters on one node and returns the first non-success
// status, tagged with the plugin's name; nil if the node fits.
func runFilters(ctx context.Context, filters []FilterPlugin, state *CycleState, pod *v1.Pod, node *NodeInfo) *Status {
	for _, p := range filters {
		if st := p.Filter(ctx, state, pod, node); !st.IsSuccess() {
			if st.Code() == Error {
				return AsStatus(fmt.Errorf("filter plugin %s on node %s: %w", p.Name(), node.Name(), st.AsError())).WithPlugin(p.Name())
			}
			return st.WithPlugin(p.Name())
		}
	}
	return nil
}

// runPostFilter runs PostFilter plugins until one succeeds; it returns the
// nominated node and the message of the last status.
func (f *Framework) runPostFilter(ctx context.Context, c *cycle, pod *v1.Pod, statuses map[string]*Status) (string, string) {
	msg := ""
	for _, p := range f.postFilter {
		nominated, st := p.PostFilter(ctx, c.state, pod, statuses)
		if st.IsSuccess() {
			return nominated, ""
		}
		msg = st.Message()
	}
	return "", msg
}

// explain returns the first non-empty Explainer sentence.
func (f *Framework) explain(pod *v1.Pod, snap *Snapshot, statuses map[string]*Status) string {
	for _, e := range f.explainers {
		if s := e.Explain(pod, snap, statuses); s != "" {
			return s
		}
	}
	return ""
}

// PluginNames lists the plugins of each extension point the framework
// runs ("PreFilter", "Filter", "PostFilter", "PreScore", "Score"), in
// running order; Score names carry their weight as "Name:weight".
func (f *Framework) PluginNames() map[string][]string {
	out := map[string][]string{}
	for _, p := range f.preFilter {
		out["PreFilter"] = append(out["PreFilter"], p.Name())
	}
	for _, p := range f.filter {
		out["Filter"] = append(out["Filter"], p.Name())
	}
	for _, p := range f.postFilter {
		out["PostFilter"] = append(out["PostFilter"], p.Name())
	}
	for _, p := range f.preScore {
		out["PreScore"] = append(out["PreScore"], p.Name())
	}
	for _, s := range f.score {
		out["Score"] = append(out["Score"], fmt.Sprintf("%s:%d", s.Plugin.Name(), s.Weight))
	}
	return out
}

// HasScore reports whether the framework has the named Score plugin and
// its weight.
func (f *Framework) HasScore(name string) (int64, bool) {
	for _, s := range f.score {
		if s.Plugin.Name() == name {
			return s.Weight, true
		}
	}
	return 0, false
}

// HasFilter reports whether the framework has the named Filter plugin.
func (f *Framework) HasFilter(name string) bool {
	for _, p := range f.filter {
		if p.Name() == name {
			return true
		}
	}
	return false
}
