package framework

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const clusterMaxKey = StateKey("ClusterMax")

// clusterCount is ClusterMax's cloneable cycle state.
type clusterCount struct{ pods int }

func (c *clusterCount) CloneState() any { d := *c; return &d }

// clusterMax counts the cluster's pods in PreFilter and rejects every node
// once there are two or more: a stand-in for a plugin whose PreFilter
// state depends on pods elsewhere (pod affinity, topology spread).
type clusterMax struct{}

func (clusterMax) Name() string { return "ClusterMax" }
func (clusterMax) PreFilter(_ context.Context, state *CycleState, _ *v1.Pod, snap *Snapshot) *Status {
	c := &clusterCount{}
	for _, n := range snap.Nodes {
		c.pods += len(n.Pods)
	}
	state.Write(clusterMaxKey, c)
	return nil
}
func (clusterMax) Filter(_ context.Context, state *CycleState, _ *v1.Pod, _ *NodeInfo) *Status {
	v, _ := state.Read(clusterMaxKey)
	if v.(*clusterCount).pods >= 2 {
		return NewStatus(Unschedulable, "cluster full")
	}
	return nil
}
func (p clusterMax) PreFilterExtensions() PreFilterExtensions { return p }
func (clusterMax) AddPod(_ context.Context, state *CycleState, _ *v1.Pod, _ *PodInfo, _ *NodeInfo) *Status {
	v, _ := state.Read(clusterMaxKey)
	v.(*clusterCount).pods++
	return nil
}
func (clusterMax) RemovePod(_ context.Context, state *CycleState, _ *v1.Pod, _ *PodInfo, _ *NodeInfo) *Status {
	v, _ := state.Read(clusterMaxKey)
	v.(*clusterCount).pods--
	return nil
}

// skipper skips its PreFilter; its extensions must then not run.
type skipper struct{ calls *int }

func (skipper) Name() string { return "Skipper" }
func (skipper) PreFilter(context.Context, *CycleState, *v1.Pod, *Snapshot) *Status {
	return NewStatus(Skip)
}
func (s skipper) PreFilterExtensions() PreFilterExtensions { return s }
func (s skipper) AddPod(context.Context, *CycleState, *v1.Pod, *PodInfo, *NodeInfo) *Status {
	*s.calls++
	return nil
}
func (s skipper) RemovePod(context.Context, *CycleState, *v1.Pod, *PodInfo, *NodeInfo) *Status {
	*s.calls++
	return nil
}

func TestNominatedPodsUpdatePreFilterState(t *testing.T) {
	var infos []*NodeInfo
	for _, name := range []string{"n1", "n2"} {
		infos = append(infos, NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: v1.NodeStatus{Allocatable: v1.ResourceList{v1.ResourcePods: resource.MustParse("10")}}}))
	}
	existing := prioPod("existing", 0)
	existing.Spec.NodeName = "n2"
	infos[1].AddPod(NewPodInfo(existing))
	nom := NewNominator()
	nom.Set(prioPod("nominated", 100), "n1")
	calls := 0
	fw := NewFramework([]PluginEntry{{Plugin: clusterMax{}}, {Plugin: skipper{&calls}}})
	res, err := NewAlgorithm(fw, 100, 1).WithNominator(nom).Schedule(context.Background(), prioPod("low", 50), NewSnapshot(infos))
	if err != nil || res.Node != "n2" {
		t.Fatalf("got %q, %v; want n2 (n1 counts its nominated pod: two pods)", res.Node, err)
	}
	if calls != 0 {
		t.Errorf("the skipped plugin's extensions ran %d times", calls)
	}
}

func TestCycleStateClone(t *testing.T) {
	snap := NewSnapshot(nil)
	state := NewCycleState(snap)
	shared := &struct{ n int }{}
	state.Write(clusterMaxKey, &clusterCount{pods: 1})
	state.Write("shared", shared)
	c := state.Clone()
	cv, _ := c.Read(clusterMaxKey)
	cv.(*clusterCount).pods = 5
	ov, _ := state.Read(clusterMaxKey)
	if ov.(*clusterCount).pods != 1 {
		t.Errorf("clone changed the original's cloneable value: %d", ov.(*clusterCount).pods)
	}
	if sv, _ := c.Read("shared"); sv != any(shared) {
		t.Error("a value without CloneState was not shared")
	}
	if c.Snapshot() != snap {
		t.Error("clone has another snapshot")
	}
	if st := c.RunFilters(context.Background(), prioPod("p", 0), NewNodeInfo(nil)); st.IsSuccess() {
		t.Error("RunFilters before PreFilter passed must not succeed")
	}
}
