package cache

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func node(name string, images ...string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: v1.NodeStatus{Allocatable: v1.ResourceList{
		v1.ResourceCPU: resource.MustParse("4"), v1.ResourcePods: resource.MustParse("110"),
	}}}
	for _, img := range images {
		n.Status.Images = append(n.Status.Images, v1.ContainerImage{Names: []string{img}, SizeBytes: 1})
	}
	return n
}

func pod(name, nodeName, cpu string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name)},
		Spec: v1.PodSpec{NodeName: nodeName, Containers: []v1.Container{{Name: "c", Resources: v1.ResourceRequirements{
			Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu)},
		}}}},
	}
}

// requested returns the milli-cpu the snapshot counts on a node.
func requested(c *Cache, name string) int64 {
	n := c.Snapshot().ByName[name]
	if n == nil {
		return -1
	}
	return n.Requested.MilliCPU
}

func TestAssumeConfirmForget(t *testing.T) {
	c := New()
	c.SetNode(node("n1"))
	c.SetNode(node("n2"))
	if err := c.AssumePod(pod("a", "n1", "1")); err != nil {
		t.Fatal(err)
	}
	if got := requested(c, "n1"); got != 1000 {
		t.Fatalf("assumed pod not counted: %d", got)
	}
	if err := c.AssumePod(pod("a", "n1", "1")); err == nil {
		t.Fatal("assuming a pod twice succeeded")
	}
	if !c.IsAssumed(pod("a", "n1", "1")) {
		t.Fatal("pod not reported assumed")
	}
	// The informer confirms it (on another node, as if someone else bound it).
	c.AddPod(pod("a", "n2", "1"))
	if c.IsAssumed(pod("a", "n2", "1")) {
		t.Fatal("confirmed pod still assumed")
	}
	if n1, n2 := requested(c, "n1"), requested(c, "n2"); n1 != 0 || n2 != 1000 {
		t.Fatalf("after confirm: n1 %d n2 %d", n1, n2)
	}
	c.ForgetPod(pod("a", "n2", "1"))
	if got := requested(c, "n2"); got != 1000 {
		t.Fatal("Forget removed a confirmed pod")
	}
	if err := c.AssumePod(pod("b", "n1", "500m")); err != nil {
		t.Fatal(err)
	}
	c.ForgetPod(pod("b", "n1", "500m"))
	if got := requested(c, "n1"); got != 0 {
		t.Fatalf("forgotten pod still counted: %d", got)
	}
}

func TestUpdateAndRemovePod(t *testing.T) {
	c := New()
	c.SetNode(node("n1"))
	c.AddPod(pod("a", "n1", "1"))
	c.UpdatePod(pod("a", "n1", "2"))
	if got := requested(c, "n1"); got != 2000 {
		t.Fatalf("after update: %d", got)
	}
	c.RemovePod(pod("a", "n1", "2"))
	if got := requested(c, "n1"); got != 0 {
		t.Fatalf("after remove: %d", got)
	}
	c.AddPod(pod("unassigned", "", "1"))
	if _, pods := c.Counts(); pods != 0 {
		t.Fatalf("unassigned pod counted: %d", pods)
	}
}

func TestRemoveNodeFreesPods(t *testing.T) {
	c := New()
	c.SetNode(node("n1"))
	c.SetNode(node("n2"))
	c.AddPod(pod("a", "n1", "1"))
	if err := c.AssumePod(pod("b", "n1", "1")); err != nil {
		t.Fatal(err)
	}
	c.RemoveNode("n1")
	if nodes, pods := c.Counts(); nodes != 1 || pods != 0 {
		t.Fatalf("after node delete: %d nodes, %d pods", nodes, pods)
	}
	s := c.Snapshot()
	if len(s.Nodes) != 1 || s.Nodes[0].Name() != "n2" || s.ByName["n1"] != nil {
		t.Fatalf("snapshot still has n1: %d nodes", len(s.Nodes))
	}
	// A late delete event for the pod is harmless.
	c.RemovePod(pod("a", "n1", "1"))
}

func TestPodBeforeNode(t *testing.T) {
	c := New()
	c.AddPod(pod("a", "late", "1"))
	if len(c.Snapshot().Nodes) != 0 {
		t.Fatal("node-less info in snapshot")
	}
	c.SetNode(node("late"))
	if got := requested(c, "late"); got != 1000 {
		t.Fatalf("pod seen before its node not counted: %d", got)
	}
}

func TestSnapshotIsIncrementalAndIsolated(t *testing.T) {
	c := New()
	for _, n := range []string{"c", "a", "b"} {
		c.SetNode(node(n, "img:"+n, "shared:1"))
	}
	s := c.Snapshot()
	if s.Nodes[0].Name() != "a" || s.Nodes[2].Name() != "c" {
		t.Fatal("snapshot not sorted by name")
	}
	if s.ImageNodes["shared:1"] != 3 || s.ImageNodes["img:a"] != 1 {
		t.Fatalf("image counts %v", s.ImageNodes)
	}
	before := s.ByName["b"]
	untouched := s.ByName["a"]
	c.AddPod(pod("p", "b", "1"))
	if before.Requested.MilliCPU != 0 {
		t.Fatal("cache change leaked into the taken snapshot before the next Snapshot call")
	}
	s = c.Snapshot()
	if s.ByName["b"].Requested.MilliCPU != 1000 || s.Nodes[1] != s.ByName["b"] {
		t.Fatal("changed node not refreshed in list and index")
	}
	if s.ByName["a"] != untouched {
		t.Fatal("unchanged node was copied again")
	}
	c.SetNode(node("a", "img:a"))
	if s = c.Snapshot(); s.ImageNodes["shared:1"] != 2 {
		t.Fatalf("image count after node update: %v", s.ImageNodes)
	}
}

func TestAssumePodInfoKeepsTheGivenInfo(t *testing.T) {
	c := New()
	c.SetNode(node("n1"))
	unassumed := pod("a", "", "250m")
	pi := framework.NewPodInfo(unassumed)
	assumed := *unassumed
	assumed.Spec.NodeName = "n1"
	if err := c.AssumePodInfo(pi.WithPod(&assumed)); err != nil {
		t.Fatal(err)
	}
	if got := requested(c, "n1"); got != 250 {
		t.Fatalf("assumed pod counts %dm on n1, want 250m", got)
	}
	if !c.IsAssumed(&assumed) {
		t.Fatal("pod not reported assumed")
	}
	if pods := c.Snapshot().ByName["n1"].Pods; len(pods) != 1 || pods[0].Pod != &assumed || pods[0] == pi {
		t.Fatalf("cache holds %v, want a copy of the info for the assumed pod", pods)
	}
	if err := c.AssumePodInfo(framework.NewPodInfo(unassumed)); err == nil {
		t.Fatal("a pod without a node was assumed")
	}
}
