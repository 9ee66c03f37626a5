package nodestatus

import (
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestAllocatable(t *testing.T) {
	capacity := v1.ResourceList{v1.ResourceCPU: resource.MustParse("4"), v1.ResourceMemory: resource.MustParse("8Gi"),
		v1.ResourcePods: resource.MustParse("110")}
	tests := []struct {
		name     string
		reserved v1.ResourceList
		want     map[v1.ResourceName]string
	}{
		{"none", nil, map[v1.ResourceName]string{"cpu": "4", "memory": "8Gi", "pods": "110"}},
		{"some", v1.ResourceList{"cpu": resource.MustParse("500m"), "memory": resource.MustParse("1Gi")},
			map[v1.ResourceName]string{"cpu": "3500m", "memory": "7Gi", "pods": "110"}},
		{"more than capacity", v1.ResourceList{"cpu": resource.MustParse("8")},
			map[v1.ResourceName]string{"cpu": "0", "memory": "8Gi", "pods": "110"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Allocatable(capacity, tc.reserved)
			for name, want := range tc.want {
				q := got[name]
				if q.Cmp(resource.MustParse(want)) != 0 {
					t.Errorf("%s = %s, want %s", name, q.String(), want)
				}
			}
		})
	}
	if c := capacity[v1.ResourceCPU]; c.String() != "4" {
		t.Errorf("Allocatable changed its input: cpu %s", c.String())
	}
}

func TestConditions(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(10 * time.Second))
	network := v1.NodeCondition{Type: v1.NodeNetworkUnavailable, Status: v1.ConditionFalse, Reason: "RouteCreated"}
	first := conditions("container runtime network not ready: x", nil, []v1.NodeCondition{network}, t0)
	tests := []struct {
		name, notReady string
		prev           []v1.NodeCondition
		wantReady      v1.ConditionStatus
		wantReason     string
		wantTransition metav1.Time
	}{
		{"first not ready", "container runtime network not ready: x", nil, v1.ConditionFalse, "KubeletNotReady", t1},
		{"becomes ready", "", first, v1.ConditionTrue, "KubeletReady", t1},
		{"stays not ready", "still broken", first, v1.ConditionFalse, "KubeletNotReady", t0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := conditions(tc.notReady, nil, tc.prev, t1)
			byType := map[v1.NodeConditionType]v1.NodeCondition{}
			for _, c := range got {
				byType[c.Type] = c
			}
			r := byType[v1.NodeReady]
			if r.Status != tc.wantReady || r.Reason != tc.wantReason || !r.LastTransitionTime.Equal(&tc.wantTransition) ||
				!r.LastHeartbeatTime.Equal(&t1) {
				t.Fatalf("Ready = %+v", r)
			}
			if tc.notReady != "" && r.Message != tc.notReady {
				t.Errorf("Ready message = %q, want %q", r.Message, tc.notReady)
			}
			if m := byType[v1.NodeMemoryPressure]; m.Status != v1.ConditionFalse || m.Reason != "KubeletHasSufficientMemory" ||
				m.Message != "kubelet has sufficient memory available" {
				t.Errorf("MemoryPressure = %+v", m)
			}
			if d := byType[v1.NodeDiskPressure]; d.Reason != "KubeletHasNoDiskPressure" || d.Message != "kubelet has no disk pressure" {
				t.Errorf("DiskPressure = %+v", d)
			}
			if p := byType[v1.NodePIDPressure]; p.Reason != "KubeletHasSufficientPID" || p.Message != "kubelet has sufficient PID available" {
				t.Errorf("PIDPressure = %+v", p)
			}
			_, hasNetwork := byType[v1.NodeNetworkUnavailable]
			if hasNetwork != (tc.prev != nil) {
				t.Errorf("NetworkUnavailable present = %v; it must be kept when set by others and never added", hasNetwork)
			}
		})
	}
}

func TestNodeImages(t *testing.T) {
	var imgs []*runtimeapi.Image
	for i := range 60 {
		imgs = append(imgs, &runtimeapi.Image{Id: fmt.Sprint(i), Size: uint64(i), RepoTags: []string{fmt.Sprintf("img:%d", i)}})
	}
	imgs = append(imgs, &runtimeapi.Image{Id: "anon", Size: 1000},
		&runtimeapi.Image{Id: "many", Size: 500, RepoTags: []string{"a", "b", "c", "d", "e", "f"}, RepoDigests: []string{"a@sha256:1"}})
	got := nodeImages(imgs)
	if len(got) != maxImages {
		t.Fatalf("%d images, want %d", len(got), maxImages)
	}
	if got[0].SizeBytes != 500 || len(got[0].Names) != maxNamesPerImage || got[0].Names[0] != "a@sha256:1" {
		t.Errorf("first image = %+v, want the largest named one with digests first and 5 names", got[0])
	}
	if got[1].Names[0] != "img:59" || got[len(got)-1].Names[0] != "img:11" {
		t.Errorf("order wrong: second %v, last %v", got[1].Names, got[len(got)-1].Names)
	}
}

func TestChangedIgnoresHeartbeats(t *testing.T) {
	t0 := metav1.NewTime(time.Unix(1000, 0))
	s := Static{NodeName: "n", MaxPods: 110}
	f := Facts{Machine: MachineInfo{NumCPU: 2, MemoryBytes: 1 << 30, Architecture: "amd64"}}
	a := Status(s, f, v1.NodeStatus{}, t0)
	b := Status(s, f, a, metav1.NewTime(t0.Add(time.Minute)))
	if Changed(a, b) {
		t.Error("only heartbeats moved, but Changed says true")
	}
	f.NotReady = "down"
	if c := Status(s, f, a, t0); !Changed(a, c) {
		t.Error("Ready flipped, but Changed says false")
	}
	f.NotReady = ""
	f.Machine.NumCPU = 3
	if c := Status(s, f, a, t0); !Changed(a, c) {
		t.Error("capacity changed, but Changed says false")
	}
}

func TestNodeLabels(t *testing.T) {
	m := MachineInfo{Architecture: "arm64"}
	got := NodeLabels(Static{NodeName: "n1", ControlPlane: true, Labels: map[string]string{"x": "y", LabelHostname: "evil"}}, m)
	want := map[string]string{"x": "y", LabelHostname: "n1", LabelOS: "linux", LabelArch: "arm64",
		LabelBetaOS: "linux", LabelBetaArch: "arm64", LabelControlPlane: ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
	if _, ok := NodeLabels(Static{NodeName: "n1"}, m)[LabelControlPlane]; ok {
		t.Error("control-plane label on a worker")
	}
}

func TestParsers(t *testing.T) {
	mem, err := parseMemTotal([]byte("MemFree: 1 kB\nMemTotal:       8039424 kB\n"))
	if err != nil || mem != 8039424*1024 {
		t.Errorf("parseMemTotal = %d, %v", mem, err)
	}
	if _, err := parseMemTotal([]byte("MemFree: 1 kB\n")); err == nil {
		t.Error("meminfo without MemTotal accepted")
	}
	if got := parseOSImage([]byte("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")); got != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("parseOSImage = %q", got)
	}
	routes := "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n" +
		"eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\n" +
		"eth0\t00000000\t010011AC\t0003\t0\t0\t100\t00000000\n" +
		"eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\n"
	if got := defaultRouteInterface([]byte(routes)); got != "eth0" {
		t.Errorf("defaultRouteInterface = %q, want eth0 (lowest metric)", got)
	}
}

func TestPressureConditions(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(10 * time.Second))
	tests := []struct {
		name     string
		pressure []v1.NodeConditionType
		want     map[v1.NodeConditionType]string // status reason message
	}{
		{name: "none", want: map[v1.NodeConditionType]string{
			v1.NodeMemoryPressure: "False KubeletHasSufficientMemory kubelet has sufficient memory available",
			v1.NodeDiskPressure:   "False KubeletHasNoDiskPressure kubelet has no disk pressure",
			v1.NodePIDPressure:    "False KubeletHasSufficientPID kubelet has sufficient PID available"}},
		{name: "all", pressure: []v1.NodeConditionType{v1.NodeMemoryPressure, v1.NodeDiskPressure, v1.NodePIDPressure},
			want: map[v1.NodeConditionType]string{
				v1.NodeMemoryPressure: "True KubeletHasInsufficientMemory kubelet has insufficient memory available",
				v1.NodeDiskPressure:   "True KubeletHasDiskPressure kubelet has disk pressure",
				v1.NodePIDPressure:    "True KubeletHasInsufficientPID kubelet has insufficient PID available"}},
		{name: "memory only", pressure: []v1.NodeConditionType{v1.NodeMemoryPressure},
			want: map[v1.NodeConditionType]string{
				v1.NodeMemoryPressure: "True KubeletHasInsufficientMemory kubelet has insufficient memory available",
				v1.NodeDiskPressure:   "False KubeletHasNoDiskPressure kubelet has no disk pressure",
				v1.NodePIDPressure:    "False KubeletHasSufficientPID kubelet has sufficient PID available"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prev := conditions("", nil, nil, t0)
			got := conditions("", tc.pressure, prev, t1)
			for _, c := range got {
				want, ok := tc.want[c.Type]
				if !ok {
					continue
				}
				if s := string(c.Status) + " " + c.Reason + " " + c.Message; s != want {
					t.Errorf("%s = %q, want %q", c.Type, s, want)
				}
				moved := !c.LastTransitionTime.Equal(&t0)
				if moved != (c.Status == v1.ConditionTrue) {
					t.Errorf("%s transition time %v (status %s)", c.Type, c.LastTransitionTime, c.Status)
				}
			}
		})
	}
}
