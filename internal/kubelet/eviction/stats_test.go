package eviction

import (
	"context"
	"errors"
	"testing"

	v1 "k8s.io/api/core/v1"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// statsRuntime answers the two stats calls; every other call panics.
type statsRuntime struct {
	internalapi.RuntimeService
	containers []*runtimeapi.ContainerStats
	sandboxErr error
}

func (s *statsRuntime) ListContainerStats(context.Context, *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	return s.containers, nil
}

func (s *statsRuntime) ListPodSandboxStats(context.Context, *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error) {
	if s.sandboxErr != nil {
		return nil, s.sandboxErr
	}
	return []*runtimeapi.PodSandboxStats{{
		Attributes: &runtimeapi.PodSandboxAttributes{Metadata: &runtimeapi.PodSandboxMetadata{Uid: "uid-a"}},
		Linux:      &runtimeapi.LinuxPodSandboxStats{Process: &runtimeapi.ProcessUsage{ProcessCount: &runtimeapi.UInt64Value{Value: 7}}},
	}}, nil
}

func TestRuntimeStats(t *testing.T) {
	rt := &statsRuntime{containers: []*runtimeapi.ContainerStats{
		{Attributes: &runtimeapi.ContainerAttributes{Labels: map[string]string{labelPodUID: "uid-a", labelContainerName: "main"}},
			Memory:        &runtimeapi.MemoryUsage{WorkingSetBytes: &runtimeapi.UInt64Value{Value: 120 << 20}},
			WritableLayer: &runtimeapi.FilesystemUsage{UsedBytes: &runtimeapi.UInt64Value{Value: 1 << 30}, InodesUsed: &runtimeapi.UInt64Value{Value: 42}}},
		{Attributes: &runtimeapi.ContainerAttributes{Labels: map[string]string{labelPodUID: "uid-a", labelContainerName: "side"}}},
		{Attributes: &runtimeapi.ContainerAttributes{Labels: map[string]string{"other": "x"}}},
	}}
	containers, procs, err := RuntimeStats(context.Background(), rt)
	if err != nil {
		t.Fatal(err)
	}
	cs := containers["uid-a"]
	if len(containers) != 1 || len(cs) != 2 {
		t.Fatalf("containers = %+v", containers)
	}
	if cs[0].Name != "main" || cs[0].WorkingSet.String() != "120Mi" || cs[0].WritableLayer.String() != "1Gi" || cs[0].Inodes.Value() != 42 {
		t.Errorf("main = %+v", cs[0])
	}
	if cs[1].WorkingSet != nil || cs[1].WritableLayer != nil {
		t.Errorf("side without stats = %+v", cs[1])
	}
	if procs["uid-a"] != 7 {
		t.Errorf("procs = %v", procs)
	}
	a, b := pod("a", 0, ""), pod("b", 0, "")
	joined := joinUsage([]*v1.Pod{a, b}, containers, procs)
	if !joined[0].HasStats || *joined[0].Processes != 7 || joined[1].HasStats || joined[1].Processes != nil {
		t.Errorf("joined = %+v", joined)
	}
	rt.sandboxErr = errors.New("unimplemented")
	if _, procs, err := RuntimeStats(context.Background(), rt); err != nil || len(procs) != 0 {
		t.Errorf("without sandbox stats: procs %v err %v", procs, err)
	}
}
