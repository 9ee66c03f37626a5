package profile

import (
	"errors"
	"fmt"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/plugins/defaultpreemption"
	"github.com/capstan/capstan/internal/scheduler/plugins/imagelocality"
	"github.com/capstan/capstan/internal/scheduler/plugins/interpodaffinity"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodeaffinity"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodename"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodeports"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodeunschedulable"
	"github.com/capstan/capstan/internal/scheduler/plugins/podtopologyspread"
	"github.com/capstan/capstan/internal/scheduler/plugins/tainttoleration"
)

// Names of the plugins whose behaviour lives in the scheduler's shell
// rather than in the framework: the queue orders pods by priority then
// arrival (PrioritySort), gated pods wait outside the queue
// (SchedulingGates), and binding posts pods/binding (DefaultBinder). They
// are registered so that configurations naming them validate as upstream.
const (
	PrioritySortName    = "PrioritySort"
	SchedulingGatesName = "SchedulingGates"
	DefaultBinderName   = "DefaultBinder"
)

// shellPoint is the one extension point a shell plugin implements.
type shellPoint int

const (
	queueSortPoint shellPoint = iota
	preEnqueuePoint
	bindPoint
)

// shellPlugin stands for a plugin implemented by the scheduler's shell.
type shellPlugin struct {
	name  string
	point shellPoint
}

func (p *shellPlugin) Name() string { return p.name }

// errUnknownPlugin is what newInTreePlugin returns for a name it does not
// know.
var errUnknownPlugin = errors.New("unknown plugin")

// newInTreePlugin is the registry of in-tree plugins: the one place that
// maps a plugin name to its constructor.
func newInTreePlugin(name string, cfg *Config, deps *Deps) (framework.Plugin, error) {
	switch name {
	case nodeunschedulable.Name:
		return &nodeunschedulable.NodeUnschedulable{}, nil
	case nodename.Name:
		return &nodename.NodeName{}, nil
	case tainttoleration.Name:
		return &tainttoleration.TaintToleration{}, nil
	case nodeaffinity.Name:
		return &nodeaffinity.NodeAffinity{}, nil
	case nodeports.Name:
		return &nodeports.NodePorts{}, nil
	case noderesources.FitName:
		return noderesources.NewFit(cfg.NodeResourcesFit)
	case noderesources.BalancedName:
		return noderesources.NewBalancedAllocation(cfg.BalancedAllocationResources), nil
	case imagelocality.Name:
		return &imagelocality.ImageLocality{}, nil
	case podtopologyspread.Name:
		return podtopologyspread.New(cfg.PodTopologySpread, deps.Workloads)
	case interpodaffinity.Name:
		return interpodaffinity.New(interpodaffinity.Options{NamespaceLabels: deps.NamespaceLabels,
			HardPodAffinityWeight: cfg.HardPodAffinityWeight}), nil
	case defaultpreemption.Name:
		return defaultpreemption.New(deps.Preemption), nil
	case PrioritySortName:
		return &shellPlugin{name, queueSortPoint}, nil
	case SchedulingGatesName:
		return &shellPlugin{name, preEnqueuePoint}, nil
	case DefaultBinderName:
		return &shellPlugin{name, bindPoint}, nil
	}
	return nil, fmt.Errorf("%w %q", errUnknownPlugin, name)
}
