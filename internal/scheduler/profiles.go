package scheduler

import (
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/events"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/plugins/defaultpreemption"
	"github.com/capstan/capstan/internal/scheduler/plugins/podtopologyspread"
	"github.com/capstan/capstan/internal/scheduler/profile"
)

// profileRun is one profile of a running scheduler: its own plugins (its
// own Algorithm, so its own rotating start index) and its own event
// recorder reporting as its schedulerName, as upstream. Queue, cache and
// nominator are shared by all profiles.
type profileRun struct {
	algo     *framework.Algorithm
	recorder events.EventRecorder
}

// profiles maps spec.schedulerName to its profile.
type profiles map[string]*profileRun

// names lists the scheduler names served, sorted.
func (p profiles) names() []string {
	out := make([]string, 0, len(p))
	for name := range p {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// recorder is the event recorder of pod's profile. Only pods of a profile
// are scheduled, so the profile exists.
func (p profiles) recorder(pod *v1.Pod) events.EventRecorder {
	return p[pod.Spec.SchedulerName].recorder
}

// profileDeps are what buildProfiles wires into the plugins.
type profileDeps struct {
	client      kubernetes.Interface
	broadcaster events.EventBroadcaster
	factory     informers.SharedInformerFactory
	nominator   *framework.Nominator
	metrics     *metrics
	log         *slog.Logger
}

// buildProfiles builds one framework per profile config (nil means the
// default profile) with its collaborators; names must be distinct.
func buildProfiles(cfgs []ProfileConfig, d profileDeps) (profiles, error) {
	if len(cfgs) == 0 {
		cfgs = []ProfileConfig{DefaultProfile()}
	}
	var workloads podtopologyspread.Workloads
	if slices.ContainsFunc(cfgs, func(c ProfileConfig) bool { return c.Enabled(podtopologyspread.Name) }) {
		workloads = newListerWorkloads(d.factory)
	}
	out := profiles{}
	for _, c := range cfgs {
		if c.SchedulerName == "" {
			c.SchedulerName = profile.DefaultSchedulerName
		}
		if out[c.SchedulerName] != nil {
			return nil, fmt.Errorf("build scheduling profiles: schedulerName %q used by two profiles", c.SchedulerName)
		}
		recorder := d.broadcaster.NewRecorder(scheme.Scheme, c.SchedulerName)
		deps := d.plugins(recorder)
		deps.Workloads = workloads
		fw, err := profile.BuildWithDeps(c, deps)
		if err != nil {
			return nil, fmt.Errorf("build scheduling profile %q: %w", c.SchedulerName, err)
		}
		algo := framework.NewAlgorithm(fw, c.PercentageOfNodesToScore, runtime.GOMAXPROCS(0)).WithNominator(d.nominator)
		out[c.SchedulerName] = &profileRun{algo: algo, recorder: recorder}
	}
	return out, nil
}

// plugins gives the plugins their collaborators: preemption acts through
// the API, reads PodDisruptionBudgets and counts in the metrics,
// InterPodAffinity reads namespace labels. Asking for the listers
// registers their informers.
func (d profileDeps) plugins(recorder events.EventRecorder) profile.Deps {
	pdbs := d.factory.Policy().V1().PodDisruptionBudgets().Lister()
	namespaces := d.factory.Core().V1().Namespaces().Lister()
	return profile.Deps{
		Preemption: defaultpreemption.Options{
			Evictor:   &defaultpreemption.APIEvictor{Client: d.client, Recorder: recorder, Log: d.log},
			PDBs:      func() ([]*policyv1.PodDisruptionBudget, error) { return pdbs.List(labels.Everything()) },
			Nominator: d.nominator,
			Attempted: d.metrics.preemption.Inc,
			Victims:   func(n int) { d.metrics.victims.Observe(float64(n)) },
		},
		NamespaceLabels: func(name string) labels.Set {
			ns, err := namespaces.Get(name)
			if err != nil {
				return nil
			}
			return ns.Labels
		},
	}
}

// listerWorkloads answers PodTopologySpread's default-selector lookups
// from informer caches (read-only objects).
type listerWorkloads struct {
	services     corelisters.ServiceLister
	rcs          corelisters.ReplicationControllerLister
	replicaSets  appslisters.ReplicaSetLister
	statefulSets appslisters.StatefulSetLister
}

var _ podtopologyspread.Workloads = (*listerWorkloads)(nil)

func newListerWorkloads(f informers.SharedInformerFactory) *listerWorkloads {
	return &listerWorkloads{
		services:     f.Core().V1().Services().Lister(),
		rcs:          f.Core().V1().ReplicationControllers().Lister(),
		replicaSets:  f.Apps().V1().ReplicaSets().Lister(),
		statefulSets: f.Apps().V1().StatefulSets().Lister(),
	}
}

func (w *listerWorkloads) Services(ns string) []*v1.Service {
	out, err := w.services.Services(ns).List(labels.Everything())
	if err != nil {
		return nil
	}
	return out
}

func (w *listerWorkloads) ReplicationController(ns, name string) *v1.ReplicationController {
	rc, err := w.rcs.ReplicationControllers(ns).Get(name)
	if err != nil {
		return nil
	}
	return rc
}

func (w *listerWorkloads) ReplicaSet(ns, name string) *appsv1.ReplicaSet {
	rs, err := w.replicaSets.ReplicaSets(ns).Get(name)
	if err != nil {
		return nil
	}
	return rs
}

func (w *listerWorkloads) StatefulSet(ns, name string) *appsv1.StatefulSet {
	ss, err := w.statefulSets.StatefulSets(ns).Get(name)
	if err != nil {
		return nil
	}
	return ss
}
