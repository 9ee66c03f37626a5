package profile

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/plugins/defaultpreemption"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
)

var update = flag.Bool("update", false, "rewrite testdata/scenarios/*.golden from the current decisions")

// scenario is one testdata/scenarios/NAME.yaml: a cluster, pods already
// bound, and pods to schedule in order (each decision is assumed before
// the next pod). The expected outcome of each pod is in NAME.golden:
// "pod -> node" or "pod: <FitError message>". When preemption nominates a
// node, the line "pod preempts <victims> on <node>" follows; the victims
// are removed and the pod is scheduled once more.
//
// A scenario may instead give a whole KubeSchedulerConfiguration in
// "config": each pod then goes to the profile its spec.schedulerName
// names, and a pod naming none is reported as "pod: ignored". Services and
// workloads listed feed PodTopologySpread's default constraints.
type scenario struct {
	Config  string `json:"config"`
	Profile struct {
		ScoringStrategy          noderesources.ScoringStrategyType `json:"scoringStrategy"`
		Disable                  []string                          `json:"disable"`
		Weights                  map[string]int32                  `json:"weights"`
		PercentageOfNodesToScore int32                             `json:"percentageOfNodesToScore"`
	} `json:"profile"`
	Nodes                  []v1.Node                  `json:"nodes"`
	Bound                  []v1.Pod                   `json:"bound"`
	Pods                   []v1.Pod                   `json:"pods"`
	Services               []v1.Service               `json:"services"`
	ReplicaSets            []appsv1.ReplicaSet        `json:"replicaSets"`
	StatefulSets           []appsv1.StatefulSet       `json:"statefulSets"`
	ReplicationControllers []v1.ReplicationController `json:"replicationControllers"`
}

// configs returns the scenario's profiles.
func (sc *scenario) configs(t *testing.T) []Config {
	if sc.Config == "" {
		return []Config{sc.config()}
	}
	cfgs, err := Parse([]byte(sc.Config))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfgs
}

// algorithms builds one Algorithm per profile, by scheduler name.
func (sc *scenario) algorithms(t *testing.T, deps Deps) map[string]*framework.Algorithm {
	out := map[string]*framework.Algorithm{}
	for _, cfg := range sc.configs(t) {
		fw, err := BuildWithDeps(cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		out[cfg.SchedulerName] = framework.NewAlgorithm(fw, cfg.PercentageOfNodesToScore, 1)
	}
	return out
}

// scenarioWorkloads are the scenario's Services and workloads as
// PodTopologySpread's Workloads.
type scenarioWorkloads struct{ sc *scenario }

func (w scenarioWorkloads) Services(ns string) []*v1.Service {
	var out []*v1.Service
	for i := range w.sc.Services {
		if w.sc.Services[i].Namespace == ns {
			out = append(out, &w.sc.Services[i])
		}
	}
	return out
}

func (w scenarioWorkloads) ReplicationController(ns, name string) *v1.ReplicationController {
	return find(w.sc.ReplicationControllers, ns, name, func(o *v1.ReplicationController) *metav1.ObjectMeta { return &o.ObjectMeta })
}

func (w scenarioWorkloads) ReplicaSet(ns, name string) *appsv1.ReplicaSet {
	return find(w.sc.ReplicaSets, ns, name, func(o *appsv1.ReplicaSet) *metav1.ObjectMeta { return &o.ObjectMeta })
}

func (w scenarioWorkloads) StatefulSet(ns, name string) *appsv1.StatefulSet {
	return find(w.sc.StatefulSets, ns, name, func(o *appsv1.StatefulSet) *metav1.ObjectMeta { return &o.ObjectMeta })
}

func find[T any](list []T, ns, name string, meta func(*T) *metav1.ObjectMeta) *T {
	for i := range list {
		if m := meta(&list[i]); m.Namespace == ns && m.Name == name {
			return &list[i]
		}
	}
	return nil
}

func (sc *scenario) config() Config {
	cfg := Default().Disable(sc.Profile.Disable...)
	for name, w := range sc.Profile.Weights {
		cfg = cfg.WithWeight(name, w)
	}
	if sc.Profile.ScoringStrategy != "" {
		cfg.NodeResourcesFit.ScoringStrategy = sc.Profile.ScoringStrategy
	}
	cfg.PercentageOfNodesToScore = sc.Profile.PercentageOfNodesToScore
	return cfg
}

// run schedules the scenario's pods and renders the outcomes.
func (sc *scenario) run(t *testing.T) string {
	rec := &recordingEvictor{}
	algos := sc.algorithms(t, Deps{Preemption: defaultpreemption.Options{Evictor: rec}, Workloads: scenarioWorkloads{sc}})
	infos := map[string]*framework.NodeInfo{}
	var list []*framework.NodeInfo
	for i := range sc.Nodes {
		n := framework.NewNodeInfo(&sc.Nodes[i])
		infos[n.Name()] = n
		list = append(list, n)
	}
	uid := 0
	place := func(p *v1.Pod) {
		uid++
		p.UID = types.UID(fmt.Sprint(uid))
		if n := infos[p.Spec.NodeName]; n != nil {
			n.AddPod(framework.NewPodInfo(p))
		}
	}
	for i := range sc.Bound {
		place(&sc.Bound[i])
	}
	var out strings.Builder
	for i := range sc.Pods {
		pod := &sc.Pods[i]
		if pod.Spec.SchedulerName == "" {
			pod.Spec.SchedulerName = DefaultSchedulerName
		}
		algo := algos[pod.Spec.SchedulerName]
		if algo == nil {
			fmt.Fprintf(&out, "%s: ignored (no profile %s)\n", pod.Name, pod.Spec.SchedulerName)
			continue
		}
		for attempt := 0; attempt < 2; attempt++ {
			rec.victims = nil
			snap := framework.NewSnapshot(cloneAll(list))
			res, err := algo.Schedule(context.Background(), pod, snap)
			var fe *framework.FitError
			switch {
			case errors.As(err, &fe):
				fmt.Fprintf(&out, "%s: %s\n", pod.Name, fe.Error())
			case err != nil:
				t.Fatalf("pod %s: fault: %v", pod.Name, err)
			default:
				fmt.Fprintf(&out, "%s -> %s\n", pod.Name, res.Node)
				pod.Spec.NodeName = res.Node
				place(pod)
			}
			if fe == nil || fe.NominatedNode == "" {
				break
			}
			names := make([]string, len(rec.victims))
			for i, v := range rec.victims {
				names[i] = v.Name
				infos[fe.NominatedNode].RemovePod(string(v.UID))
			}
			fmt.Fprintf(&out, "%s preempts %s on %s\n", pod.Name, strings.Join(names, ","), fe.NominatedNode)
		}
	}
	return out.String()
}

// recordingEvictor remembers the victims of the last preemption.
type recordingEvictor struct{ victims []*v1.Pod }

func (r *recordingEvictor) Preempt(_ context.Context, _ *v1.Pod, _ string, victims, _ []*v1.Pod) error {
	r.victims = victims
	return nil
}

func cloneAll(in []*framework.NodeInfo) []*framework.NodeInfo {
	out := make([]*framework.NodeInfo, len(in))
	for i, n := range in {
		out[i] = n.Clone()
	}
	return out
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenario
			if err := yaml.UnmarshalStrict(data, &sc); err != nil {
				t.Fatalf("parse %s: %v", file, err)
			}
			got := sc.run(t)
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read %s (run with -update to create it): %v", golden, err)
			}
			if got != string(want) {
				t.Errorf("%s differs:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
