package interpodaffinity

import (
	"fmt"
	"maps"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// TestCountIsTheSameSerialOrParallel: the counts do not depend on the
// number of workers, nor on the map sizes remembered from an earlier,
// larger or smaller, count.
func TestCountIsTheSameSerialOrParallel(t *testing.T) {
	var infos []*framework.NodeInfo
	for i := range 300 {
		ni := framework.NewNodeInfo(node(fmt.Sprintf("n%03d", i), fmt.Sprintf("z%d", i%7)))
		for j := range i % 4 {
			g := fmt.Sprintf("g%d", (i+j)%3)
			p := pod(fmt.Sprintf("p%03d-%d", i, j), "ns", map[string]string{"group": g},
				anti(term("kubernetes.io/hostname", map[string]string{"group": g})))
			p.Spec.NodeName = ni.Name()
			ni.AddPod(framework.NewPodInfo(p))
		}
		infos = append(infos, ni)
	}
	nodes := framework.NewSnapshot(infos).Nodes
	incoming := []*v1.Pod{
		pod("x", "ns", map[string]string{"group": "g1"}, anti(term("kubernetes.io/hostname", map[string]string{"group": "g1"}))),
		pod("y", "ns", map[string]string{"group": "g2"}, affinity(term(zone, map[string]string{"group": "g0"}))),
		pod("z", "ns", map[string]string{"group": "none"}), // only existing anti-affinity is counted
		pod("w", "ns", map[string]string{"group": "g0"}, anti(term(zone, map[string]string{"group": "g2"}))),
	}
	serial := New(Options{Parallelism: 1})
	parallel := New(Options{Parallelism: 4})
	for round := range 2 { // the second round starts with the hints of the first
		for _, p := range incoming {
			pi := framework.NewPodInfo(p)
			want, got := serial.count(pi, nodes), parallel.count(pi, nodes)
			for name, pair := range map[string][2]map[topologyPair]int{
				"existingAnti": {want.existingAnti, got.existingAnti},
				"affinity":     {want.affinity, got.affinity},
				"anti":         {want.anti, got.anti},
			} {
				if !maps.Equal(pair[0], pair[1]) {
					t.Errorf("round %d, pod %s, %s: parallel %v, serial %v", round, p.Name, name, pair[1], pair[0])
				}
			}
			if p.Name == "x" && (len(want.anti) == 0 || len(want.existingAnti) == 0) {
				t.Errorf("pod x counted nothing: %+v", want)
			}
		}
	}
}
