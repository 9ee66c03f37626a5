package framework

import (
	"context"
	"errors"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxPods fits a node while it holds fewer than two pods: a stand-in for
// a resource filter that sees the nominated pods added.
type maxPods struct{}

func (maxPods) Name() string { return "MaxPods" }
func (maxPods) Filter(_ context.Context, _ *CycleState, _ *v1.Pod, n *NodeInfo) *Status {
	if len(n.Pods) >= 2 {
		return NewStatus(Unschedulable, "too many pods")
	}
	return nil
}

func prioPod(name string, prio int32) *v1.Pod {
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name)}, Spec: v1.PodSpec{Priority: &prio}}
}

func TestNominatedPodsKeepTheirRoom(t *testing.T) {
	node := NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"},
		Status: v1.NodeStatus{Allocatable: v1.ResourceList{v1.ResourcePods: resource.MustParse("10")}}})
	existing := prioPod("existing", 0)
	existing.Spec.NodeName = "n1"
	node.AddPod(NewPodInfo(existing))
	nom := NewNominator()
	nom.Set(prioPod("nominated", 100), "n1")
	for _, tc := range []struct {
		name string
		pod  *v1.Pod
		fits bool
	}{
		{"lower priority must leave the room", prioPod("low", 50), false},
		{"equal priority must leave the room", prioPod("equal", 100), false},
		{"higher priority ignores the nomination", prioPod("high", 200), true},
		{"the nominated pod itself fits", prioPod("nominated", 100), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			algo := NewAlgorithm(NewFramework([]PluginEntry{{Plugin: maxPods{}}}), 100, 1).WithNominator(nom)
			res, err := algo.Schedule(context.Background(), tc.pod, NewSnapshot([]*NodeInfo{node.Clone()}))
			var fe *FitError
			if tc.fits && (err != nil || res.Node != "n1") {
				t.Fatalf("want n1, got %q, %v", res.Node, err)
			}
			if !tc.fits && !errors.As(err, &fe) {
				t.Fatalf("want FitError, got %q, %v", res.Node, err)
			}
		})
	}
	nom.Remove("nominated")
	if _, err := NewAlgorithm(NewFramework([]PluginEntry{{Plugin: maxPods{}}}), 100, 1).WithNominator(nom).
		Schedule(context.Background(), prioPod("low", 50), NewSnapshot([]*NodeInfo{node.Clone()})); err != nil {
		t.Fatalf("after Remove the low pod should fit: %v", err)
	}
}
