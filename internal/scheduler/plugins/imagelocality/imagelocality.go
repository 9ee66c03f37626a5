package imagelocality

import (
	"context"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// Name is the plugin's upstream name.
const Name = "ImageLocality"

// Thresholds as upstream: below 23MB the score is 0, at 1000MB per
// container it is 100.
const (
	mb                    int64 = 1024 * 1024
	minThreshold                = 23 * mb
	maxContainerThreshold       = 1000 * mb
)

// ImageLocality is the plugin.
type ImageLocality struct{}

var _ framework.ScorePlugin = (*ImageLocality)(nil)

// Name returns Name.
func (*ImageLocality) Name() string { return Name }

// Score sums size × (nodes with image / all nodes) over the pod's
// containers' images present on the node, scaled between the thresholds.
func (*ImageLocality) Score(_ context.Context, state *framework.CycleState, pod *v1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	snap := state.Snapshot()
	total := 1
	var imageNodes map[string]int
	if snap != nil {
		total = max(len(snap.Nodes), 1)
		imageNodes = snap.ImageNodes
	}
	containers := len(pod.Spec.InitContainers) + len(pod.Spec.Containers)
	if len(node.ImageSizes) == 0 {
		return scaled(0, containers), nil
	}
	var sum int64
	var buf [128]byte
	add := func(cs []v1.Container) {
		for i := range cs {
			// Looked up as m[string(name)]: no string is allocated.
			name := framework.AppendNormalizedImageName(buf[:0], cs[i].Image)
			size, ok := node.ImageSizes[string(name)]
			if !ok {
				continue
			}
			holders := imageNodes[string(name)]
			if imageNodes == nil {
				holders = 1
			}
			sum += int64(float64(size) * float64(holders) / float64(total))
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
	return scaled(sum, containers), nil
}

func scaled(sum int64, containers int) int64 {
	maxThreshold := maxContainerThreshold * int64(max(containers, 1))
	sum = min(max(sum, minThreshold), maxThreshold)
	return framework.MaxNodeScore * (sum - minThreshold) / (maxThreshold - minThreshold)
}

// ScoreExtensions returns nil: scores are already in range.
func (*ImageLocality) ScoreExtensions() framework.ScoreExtensions { return nil }
