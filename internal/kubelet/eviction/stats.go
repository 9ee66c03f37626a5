package eviction

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CRI labels the kubelet puts on containers and sandboxes.
const (
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// RuntimeStats reads per-container usage from the runtime
// (ListContainerStats: memory working set, writable layer) and per-pod
// process counts (ListPodSandboxStats, when the runtime supports it).
func RuntimeStats(ctx context.Context, rs internalapi.RuntimeService) (map[types.UID][]ContainerUsage, map[types.UID]int64, error) {
	cs, err := rs.ListContainerStats(ctx, &runtimeapi.ContainerStatsFilter{})
	if err != nil {
		return nil, nil, fmt.Errorf("list container stats: %w", err)
	}
	containers := map[types.UID][]ContainerUsage{}
	for _, s := range cs {
		labels := s.GetAttributes().GetLabels()
		uid := types.UID(labels[labelPodUID])
		if uid == "" {
			continue
		}
		cu := ContainerUsage{Name: labels[labelContainerName]}
		if m := s.GetMemory().GetWorkingSetBytes(); m != nil {
			cu.WorkingSet = resource.NewQuantity(int64(m.GetValue()), resource.BinarySI)
		}
		if w := s.GetWritableLayer(); w != nil {
			if u := w.GetUsedBytes(); u != nil {
				cu.WritableLayer = resource.NewQuantity(int64(u.GetValue()), resource.BinarySI)
			}
			if n := w.GetInodesUsed(); n != nil {
				cu.Inodes = resource.NewQuantity(int64(n.GetValue()), resource.DecimalSI)
			}
		}
		containers[uid] = append(containers[uid], cu)
	}
	procs := map[types.UID]int64{}
	ps, err := rs.ListPodSandboxStats(ctx, &runtimeapi.PodSandboxStatsFilter{})
	if err == nil { // optional: not every runtime implements it
		for _, s := range ps {
			uid := types.UID(s.GetAttributes().GetMetadata().GetUid())
			if p := s.GetLinux().GetProcess().GetProcessCount(); p != nil && uid != "" {
				procs[uid] = int64(p.GetValue())
			}
		}
	}
	return containers, procs, nil
}

// joinUsage pairs pods with their usage.
func joinUsage(pods []*v1.Pod, containers map[types.UID][]ContainerUsage, procs map[types.UID]int64) []PodUsage {
	out := make([]PodUsage, 0, len(pods))
	for _, p := range pods {
		pu := PodUsage{Pod: p}
		if cs, ok := containers[p.UID]; ok {
			pu.Containers, pu.HasStats = cs, true
		}
		if n, ok := procs[p.UID]; ok {
			pu.Processes = &n
		}
		out = append(out, pu)
	}
	return out
}
