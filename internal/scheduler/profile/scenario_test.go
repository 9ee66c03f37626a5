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

	v1 "k8s.io/api/core/v1"
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
type scenario struct {
	Profile struct {
		ScoringStrategy          noderesources.ScoringStrategyType `json:"scoringStrategy"`
		Disable                  []string                          `json:"disable"`
		Weights                  map[string]int32                  `json:"weights"`
		PercentageOfNodesToScore int32                             `json:"percentageOfNodesToScore"`
	} `json:"profile"`
	Nodes []v1.Node `json:"nodes"`
	Bound []v1.Pod  `json:"bound"`
	Pods  []v1.Pod  `json:"pods"`
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
	fw, err := BuildWithDeps(sc.config(), Deps{Preemption: defaultpreemption.Options{Evictor: rec}})
	if err != nil {
		t.Fatal(err)
	}
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
	algo := framework.NewAlgorithm(fw, sc.config().PercentageOfNodesToScore, 1)
	var out strings.Builder
	for i := range sc.Pods {
		pod := &sc.Pods[i]
		if pod.Spec.SchedulerName == "" {
			pod.Spec.SchedulerName = DefaultSchedulerName
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

func (r *recordingEvictor) Preempt(_ context.Context, _ *v1.Pod, _ string, victims []*v1.Pod) error {
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
