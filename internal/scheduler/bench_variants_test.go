package scheduler

import (
	"fmt"
	"os"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Benchmark workload variants: plain pods; pods with required hostname
// anti-affinity against their own group (groups sized to fit); pods with a
// DoNotSchedule zone spread constraint (maxSkew 1, 10 zones).
const (
	variantPlain        = "plain"
	variantAntiAffinity = "anti-affinity"
	variantSpread       = "spread"
	benchZones          = 10
)

// benchVariants reads CAPSTAN_SCHED_BENCH_VARIANTS (comma-separated,
// default def).
func benchVariants(def string) []string {
	v := os.Getenv("CAPSTAN_SCHED_BENCH_VARIANTS")
	if v == "" {
		v = def
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

// benchNode is a fake node (cpu 32, memory 256Gi, 110 pods) in zone
// i mod benchZones.
func benchNode(i int) *v1.Node {
	n := fakeNode(fmt.Sprintf("node-%05d", i), "32", "256Gi", 110)
	n.Labels[v1.LabelTopologyZone] = fmt.Sprintf("zone-%d", i%benchZones)
	return n
}

// variantGroups is how many anti-affinity groups pods pods need on nodes
// nodes so that each group fits with room to spare (one pod per node).
func variantGroups(nodes, pods int) int {
	return max(2*((pods+nodes-1)/nodes), 2)
}

// variantPod is pod i of the variant; groups is the number of
// anti-affinity groups.
func variantPod(variant string, i, groups int) (*v1.Pod, error) {
	p := fakePod(fmt.Sprintf("pod-%06d", i), "100m", "500Mi")
	switch variant {
	case variantPlain:
	case variantAntiAffinity:
		group := fmt.Sprintf("g%d", i%groups)
		p.Labels = map[string]string{"group": group}
		p.Spec.Affinity = &v1.Affinity{PodAntiAffinity: &v1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{{
				TopologyKey:   v1.LabelHostname,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": group}},
			}},
		}}
	case variantSpread:
		p.Labels = map[string]string{"app": "spread"}
		p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: v1.LabelTopologyZone, WhenUnsatisfiable: v1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}},
		}}
	default:
		return nil, fmt.Errorf("unknown benchmark variant %q (want %s, %s or %s)", variant, variantPlain, variantAntiAffinity, variantSpread)
	}
	return p, nil
}

func TestVariantPodsAreKnown(t *testing.T) {
	for _, v := range []string{variantPlain, variantAntiAffinity, variantSpread} {
		if _, err := variantPod(v, 1, 2); err != nil {
			t.Error(err)
		}
	}
	if _, err := variantPod("nope", 1, 2); err == nil {
		t.Error("unknown variant accepted")
	}
}
