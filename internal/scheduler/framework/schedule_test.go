package framework

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// oddOut rejects nodes whose number is odd; it scores by node number.
type oddOut struct{}

func nodeNum(n *NodeInfo) int {
	i, _ := strconv.Atoi(strings.TrimPrefix(n.Name(), "n"))
	return i
}

func (oddOut) Name() string { return "OddOut" }
func (oddOut) Filter(_ context.Context, _ *CycleState, _ *v1.Pod, n *NodeInfo) *Status {
	if nodeNum(n)%2 == 1 {
		return NewStatus(Unschedulable, "odd")
	}
	return nil
}
func (oddOut) Score(_ context.Context, _ *CycleState, _ *v1.Pod, n *NodeInfo) (int64, *Status) {
	return int64(nodeNum(n) % 100), nil
}
func (oddOut) ScoreExtensions() ScoreExtensions { return nil }

// broken fails with a fault on one node.
type broken struct{}

func (broken) Name() string { return "Broken" }
func (broken) Filter(_ context.Context, _ *CycleState, _ *v1.Pod, n *NodeInfo) *Status {
	if n.Name() == "n0007" {
		return AsStatus(errors.New("disk on fire"))
	}
	return nil
}

func snapshotOf(n int) *Snapshot {
	infos := make([]*NodeInfo, n)
	for i := range infos {
		infos[i] = NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n%04d", i)}})
	}
	return NewSnapshot(infos)
}

func TestScheduleStopsAtEnoughFeasibleNodesAndRotates(t *testing.T) {
	for _, parallelism := range []int{1, 4} {
		fw := NewFramework([]PluginEntry{{Plugin: oddOut{}, Weight: 1}})
		a := NewAlgorithm(fw, 0, parallelism)
		snap := snapshotOf(1000) // adaptive: 42% → 420 feasible wanted
		res, err := a.Schedule(context.Background(), &v1.Pod{}, snap)
		if err != nil {
			t.Fatal(err)
		}
		if res.Feasible != 420 {
			t.Errorf("parallelism %d: %d feasible, want 420", parallelism, res.Feasible)
		}
		if parallelism == 1 {
			if res.Evaluated != 839 || a.next != 839 {
				t.Errorf("evaluated %d, next start %d, want 839 both", res.Evaluated, a.next)
			}
			if res.Node != "n0098" { // highest score n%100 among n0..n838 even: 98
				t.Errorf("chose %s, want n0098", res.Node)
			}
			res, _ = a.Schedule(context.Background(), &v1.Pod{}, snap)
			if a.next != 679 { // 161 nodes to the end, then n0000..n0678
				t.Errorf("second cycle next start %d", a.next)
			}
		}
	}
}

func TestScheduleSmallClusterIsDeterministicAcrossParallelism(t *testing.T) {
	for _, parallelism := range []int{1, 2, 8} {
		fw := NewFramework([]PluginEntry{{Plugin: oddOut{}, Weight: 1}})
		a := NewAlgorithm(fw, 0, parallelism)
		res, err := a.Schedule(context.Background(), &v1.Pod{}, snapshotOf(90))
		if err != nil {
			t.Fatal(err)
		}
		if res.Node != "n0088" || res.Feasible != 45 || res.Evaluated != 90 {
			t.Errorf("parallelism %d: %+v", parallelism, res)
		}
	}
}

func TestScheduleFaultIsNotAFitError(t *testing.T) {
	fw := NewFramework([]PluginEntry{{Plugin: broken{}}})
	_, err := NewAlgorithm(fw, 0, 2).Schedule(context.Background(), &v1.Pod{}, snapshotOf(50))
	var fe *FitError
	if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("got %v, want the plugin fault", err)
	}
}

func TestScheduleNoNodes(t *testing.T) {
	_, err := NewAlgorithm(NewFramework(nil), 0, 1).Schedule(context.Background(), &v1.Pod{}, NewSnapshot(nil))
	var fe *FitError
	if !errors.As(err, &fe) || err.Error() != NoNodesAvailableMsg {
		t.Fatalf("got %v", err)
	}
}
