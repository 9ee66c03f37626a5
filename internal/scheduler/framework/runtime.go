package framework

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
)

// PluginEntry is one enabled plugin with its score weight (ignored unless
// the plugin scores).
type PluginEntry struct {
	Plugin Plugin
	Weight int64
}

type weightedScore struct {
	plugin ScorePlugin
	weight int64
}

// Framework runs the enabled plugins of one profile at each extension point,
// in the order they were given.
type Framework struct {
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []weightedScore
	explainers []Explainer
}

// NewFramework sorts the plugins onto the extension points they implement.
// A scoring plugin with weight 0 gets weight 1, as upstream.
func NewFramework(entries []PluginEntry) *Framework {
	f := &Framework{}
	for _, e := range entries {
		if p, ok := e.Plugin.(PreFilterPlugin); ok {
			f.preFilter = append(f.preFilter, p)
		}
		if p, ok := e.Plugin.(FilterPlugin); ok {
			f.filter = append(f.filter, p)
		}
		if p, ok := e.Plugin.(PostFilterPlugin); ok {
			f.postFilter = append(f.postFilter, p)
		}
		if p, ok := e.Plugin.(PreScorePlugin); ok {
			f.preScore = append(f.preScore, p)
		}
		if p, ok := e.Plugin.(ScorePlugin); ok {
			f.score = append(f.score, weightedScore{p, max(e.Weight, 1)})
		}
		if p, ok := e.Plugin.(Explainer); ok {
			f.explainers = append(f.explainers, p)
		}
	}
	return f
}

// cycle is the per-cycle bookkeeping kept beside the plugins' CycleState.
type cycle struct {
	state      *CycleState
	skipFilter map[string]bool
	skipScore  map[string]bool
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
	for _, p := range f.preFilter {
		st := p.PreFilter(ctx, c.state, pod, snap)
		switch {
		case st.IsSkip():
			c.skipFilter[p.Name()] = true
		case st.Code() == Error:
			return AsStatus(fmt.Errorf("prefilter plugin %s: %w", p.Name(), st.AsError())).WithPlugin(p.Name())
		case !st.IsSuccess():
			return st.WithPlugin(p.Name())
		}
	}
	run := &cycleRunner{filters: make([]FilterPlugin, 0, len(f.filter))}
	for _, p := range f.filter {
		if !c.skipFilter[p.Name()] {
			run.filters = append(run.filters, p)
		}
	}
	for _, p := range f.preFilter {
		if x, ok := p.(PreFilterExtender); ok && !c.skipFilter[p.Name()] {
			if ext := x.PreFilterExtensions(); ext != nil {
				run.extensions = append(run.extensions, namedExtensions{p.Name(), ext})
			}
		}
	}
	c.state.run = run
	return nil
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

// HasFilter reports whether the framework has the named Filter plugin.
func (f *Framework) HasFilter(name string) bool {
	for _, p := range f.filter {
		if p.Name() == name {
			return true
		}
	}
	return false
}
