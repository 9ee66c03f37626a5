package imagelocality

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func TestScore(t *testing.T) {
	node := func(name string, images ...v1.ContainerImage) *framework.NodeInfo {
		return framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: v1.NodeStatus{Images: images}})
	}
	big := v1.ContainerImage{Names: []string{"registry.example/big:1"}, SizeBytes: 523 * mb}
	small := v1.ContainerImage{Names: []string{"registry.example/small"}, SizeBytes: 10 * mb}
	snap := framework.NewSnapshot([]*framework.NodeInfo{node("n1", big, small), node("n2", big), node("n3"), node("n4")})
	pod := func(images ...string) *v1.Pod {
		p := &v1.Pod{}
		for _, img := range images {
			p.Spec.Containers = append(p.Spec.Containers, v1.Container{Image: img})
		}
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *v1.Pod
		node string
		want int64
	}{
		// 523MB held by 2 of 4 nodes: 261.5MB, scaled between 23MB and 1000MB.
		{"big image, spread 1/2", pod("registry.example/big:1"), "n1", 100 * (int64(523*mb/2) - minThreshold) / (maxContainerThreshold - minThreshold)},
		{"image absent", pod("registry.example/big:1"), "n3", 0},
		{"small image below threshold", pod("registry.example/small:latest"), "n1", 0},
		{"untagged name matches :latest", pod("registry.example/small"), "n1", 0},
		{"two containers raise the maximum", pod("registry.example/big:1", "other:2"), "n1",
			100 * (int64(523*mb/2) - minThreshold) / (2*maxContainerThreshold - minThreshold)},
	} {
		got, _ := (&ImageLocality{}).Score(context.Background(), framework.NewCycleState(snap), tc.pod, snap.ByName[tc.node])
		if got != tc.want {
			t.Errorf("%s: score %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestNormalizeImageName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                   "nginx:latest",
		"nginx:1.25":              "nginx:1.25",
		"localhost:5000/app":      "localhost:5000/app:latest",
		"localhost:5000/app:v1":   "localhost:5000/app:v1",
		"app@sha256:0123456789ab": "app@sha256:0123456789ab",
	} {
		if got := framework.NormalizeImageName(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// TestScoreAllocatesNothing: Score runs per node per cycle; normalizing
// an untagged image name must not allocate a string each time.
func TestScoreAllocatesNothing(t *testing.T) {
	n := framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: v1.NodeStatus{Images: []v1.ContainerImage{
		{Names: []string{"registry.example/app:latest"}, SizeBytes: 500 * mb}}}})
	snap := framework.NewSnapshot([]*framework.NodeInfo{n})
	pod := &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{Image: "registry.example/app"}, {Image: "other:1"}}}}
	state := framework.NewCycleState(snap)
	var got int64
	allocs := testing.AllocsPerRun(50, func() { got, _ = (&ImageLocality{}).Score(context.Background(), state, pod, n) })
	if allocs != 0 {
		t.Errorf("%v allocations per Score, want 0", allocs)
	}
	if want := scaled(500*mb, 2); got != want {
		t.Errorf("score %d, want %d", got, want)
	}
}
