package framework

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func requests(cpu, mem string) v1.ResourceRequirements {
	r := v1.ResourceList{}
	if cpu != "" {
		r[v1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		r[v1.ResourceMemory] = resource.MustParse(mem)
	}
	return v1.ResourceRequirements{Requests: r}
}

func TestPodRequests(t *testing.T) {
	always := v1.ContainerRestartPolicyAlways
	c := func(cpu, mem string) v1.Container { return v1.Container{Resources: requests(cpu, mem)} }
	sidecar := func(cpu, mem string) v1.Container {
		return v1.Container{Resources: requests(cpu, mem), RestartPolicy: &always}
	}
	for _, tc := range []struct {
		name       string
		spec       v1.PodSpec
		cpu, mem   int64
		nonZeroCPU int64
	}{
		{"sum of containers", v1.PodSpec{Containers: []v1.Container{c("100m", "1Mi"), c("200m", "2Mi")}}, 300, 3 << 20, 300},
		{"largest init wins", v1.PodSpec{
			InitContainers: []v1.Container{c("1", ""), c("500m", "10Mi")},
			Containers:     []v1.Container{c("200m", "1Mi")},
		}, 1000, 10 << 20, 1000},
		{"sidecar adds to containers and to later inits", v1.PodSpec{
			InitContainers: []v1.Container{sidecar("300m", "1Mi"), c("800m", "")},
			Containers:     []v1.Container{c("200m", "1Mi")},
		}, 1100, 2 << 20, 1100},
		{"init before sidecar does not count it", v1.PodSpec{
			InitContainers: []v1.Container{c("600m", ""), sidecar("300m", "")},
			Containers:     []v1.Container{c("200m", "")},
		}, 600, 0, 600},
		{"overhead added", v1.PodSpec{
			Containers: []v1.Container{c("100m", "")},
			Overhead:   v1.ResourceList{v1.ResourceCPU: resource.MustParse("250m")},
		}, 350, 0, 350},
		{"pod-level resources replace the sum", v1.PodSpec{
			Containers: []v1.Container{c("100m", "1Mi")},
			Resources:  &v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("2")}},
		}, 2000, 1 << 20, 2000},
		{"best effort counts defaults for scoring", v1.PodSpec{Containers: []v1.Container{c("", ""), c("", "")}}, 0, 0, 2 * DefaultMilliCPURequest},
	} {
		pod := &v1.Pod{Spec: tc.spec}
		got := PodRequests(pod, false)
		if got.MilliCPU != tc.cpu || got.Memory != tc.mem {
			t.Errorf("%s: cpu %d memory %d, want %d %d", tc.name, got.MilliCPU, got.Memory, tc.cpu, tc.mem)
		}
		if nz := PodRequests(pod, true); nz.MilliCPU != tc.nonZeroCPU {
			t.Errorf("%s: non-zero cpu %d, want %d", tc.name, nz.MilliCPU, tc.nonZeroCPU)
		}
	}
}

func TestIsScalarResourceName(t *testing.T) {
	for name, want := range map[v1.ResourceName]bool{
		"cpu": false, "memory": false, "hugepages-2Mi": true, "example.com/gpu": true,
		"kubernetes.io/foo": false, "node.kubernetes.io/x": false, "requests.example.com/gpu": false,
		"attachable-volumes-csi-x": true,
	} {
		if got := IsScalarResourceName(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, tc := range []struct {
		pct         int32
		nodes, want int
	}{
		{0, 10, 10},
		{0, 99, 99},
		{0, 100, 50 * 100 / 100},
		{0, 1000, 1000 * 42 / 100},
		{0, 5000, 5000 * 10 / 100},
		{0, 6000, 6000 * 5 / 100},
		{0, 20000, 20000 * 5 / 100},
		{10, 500, 100},
		{30, 1000, 300},
		{100, 5000, 5000},
	} {
		want := max(tc.want, min(tc.nodes, minFeasibleNodesToFind))
		if got := NumFeasibleNodesToFind(tc.pct, tc.nodes); got != want {
			t.Errorf("pct %d nodes %d: %d, want %d", tc.pct, tc.nodes, got, want)
		}
	}
}

func TestFitErrorMessage(t *testing.T) {
	fe := &FitError{
		NumAllNodes: 3,
		NodeStatuses: map[string]*Status{
			"a": NewStatus(UnschedulableAndUnresolvable, "node(s) had untolerated taint {node-role: master}"),
			"b": NewStatus(Unschedulable, "Insufficient cpu"),
			"c": NewStatus(Unschedulable, "Insufficient cpu", "Insufficient memory"),
		},
		PostFilterMsg: "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod",
	}
	want := "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node-role: master}, 2 Insufficient cpu. " +
		"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
	if got := fe.Error(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	fe.PreFilterMsg = "pod has unbound immediate PersistentVolumeClaims"
	fe.PostFilterMsg = ""
	fe.Hint = "Try more."
	if got := fe.Error(); got != "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. Try more." {
		t.Errorf("prefilter message: %q", got)
	}
	if got := (&FitError{}).Error(); got != NoNodesAvailableMsg {
		t.Errorf("no nodes: %q", got)
	}
}

func TestDefaultNormalizeScore(t *testing.T) {
	for _, tc := range []struct {
		in, want []int64
		reverse  bool
	}{
		{[]int64{0, 5, 10}, []int64{0, 50, 100}, false},
		{[]int64{0, 5, 10}, []int64{100, 50, 0}, true},
		{[]int64{0, 0}, []int64{0, 0}, false},
		{[]int64{0, 0}, []int64{100, 100}, true},
	} {
		scores := make([]NodeScore, len(tc.in))
		for i, s := range tc.in {
			scores[i].Score = s
		}
		DefaultNormalizeScore(MaxNodeScore, tc.reverse, scores)
		for i := range scores {
			if scores[i].Score != tc.want[i] {
				t.Errorf("%v reverse=%v: got %v at %d, want %v", tc.in, tc.reverse, scores[i].Score, i, tc.want[i])
			}
		}
	}
}
