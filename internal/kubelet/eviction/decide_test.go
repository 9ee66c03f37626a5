package eviction

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// pod builds a pod with one container "main" requesting memory (empty for
// none) at priority prio.
func pod(name string, prio int32, memRequest string) *v1.Pod {
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name)},
		Spec: v1.PodSpec{Priority: &prio, Containers: []v1.Container{{Name: "main"}}}}
	if memRequest != "" {
		p.Spec.Containers[0].Resources.Requests = v1.ResourceList{v1.ResourceMemory: resource.MustParse(memRequest)}
	}
	return p
}

// usage gives pod's container "main" a memory working set and writable layer.
func usage(p *v1.Pod, mem, disk string) PodUsage {
	c := ContainerUsage{Name: "main", WorkingSet: ptrQ(mem)}
	if disk != "" {
		c.WritableLayer = ptrQ(disk)
	}
	return PodUsage{Pod: p, Containers: []ContainerUsage{c}, HasStats: true}
}

func memObs(avail string) Observations {
	return Observations{SignalMemoryAvailable: {Available: resource.MustParse(avail), Capacity: resource.MustParse("8Gi")}}
}

func mustParse(t *testing.T, hard, soft, grace string) []Threshold {
	t.Helper()
	ts, err := ParseThresholds(hard, soft, grace)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestRankMemory(t *testing.T) {
	be := usage(pod("besteffort", 0, ""), "50Mi", "")
	burstOver := usage(pod("burst-over", 0, "100Mi"), "300Mi", "")
	burstUnder := usage(pod("burst-under", 0, "1Gi"), "900Mi", "")
	highOver := usage(pod("high-over", 1000, "10Mi"), "900Mi", "")
	noStats := PodUsage{Pod: pod("nostats", 1000, "")}
	bigBE := usage(pod("big-besteffort", 0, ""), "500Mi", "")
	tests := []struct {
		name string
		pods []PodUsage
		want string
	}{
		{"above requests before below", []PodUsage{burstUnder, be}, "besteffort,burst-under"},
		{"then lower priority", []PodUsage{highOver, burstOver}, "burst-over,high-over"},
		{"then more usage above requests", []PodUsage{burstOver, be, bigBE}, "big-besteffort,burst-over,besteffort"},
		{"pods without stats first", []PodUsage{be, noStats}, "nostats,besteffort"},
		{"priority beats usage among pods above requests", []PodUsage{highOver, be}, "besteffort,high-over"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(rank(SignalMemoryAvailable, tc.pods)); got != tc.want {
				t.Errorf("order = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRankDiskAndPID(t *testing.T) {
	small := usage(pod("small", 0, ""), "1Mi", "10Mi")
	large := usage(pod("large", 0, ""), "1Mi", "1Gi")
	requested := usage(pod("requested", 0, ""), "1Mi", "2Gi")
	requested.Pod.Spec.Containers[0].Resources.Requests = v1.ResourceList{v1.ResourceEphemeralStorage: resource.MustParse("4Gi")}
	if got := names(rank(SignalNodeFsAvailable, []PodUsage{requested, small, large})); got != "large,small,requested" {
		t.Errorf("disk order = %s", got)
	}
	many, few := int64(100), int64(2)
	a, b, c := usage(pod("few", 0, ""), "1Mi", ""), usage(pod("many", 0, ""), "1Mi", ""), usage(pod("high", 5, ""), "1Mi", "")
	a.Processes, b.Processes, c.Processes = &few, &many, &many
	if got := names(rank(SignalPIDAvailable, []PodUsage{c, a, b})); got != "many,few,high" {
		t.Errorf("pid order = %s", got)
	}
}

func names(pods []PodUsage) string {
	var s []string
	for _, p := range pods {
		s = append(s, p.Pod.Name)
	}
	return strings.Join(s, ",")
}

func TestMessage(t *testing.T) {
	th := Threshold{Signal: SignalMemoryAvailable, Quantity: ptrQ("100Mi"), Hard: true}
	obs := Observation{Available: resource.MustParse("90Mi"), Capacity: resource.MustParse("8Gi")}
	twoC := pod("two", 0, "")
	twoC.Spec.Containers = append(twoC.Spec.Containers, v1.Container{Name: "side",
		Resources: v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceMemory: resource.MustParse("1Gi")}}})
	tests := []struct {
		name string
		th   Threshold
		pu   PodUsage
		want string
	}{
		{"best effort", th, usage(pod("p", 0, ""), "120Mi", ""),
			"The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container main was using 120Mi, request is 0, has larger consumption of memory. "},
		{"only containers over request", th, PodUsage{Pod: twoC, HasStats: true, Containers: []ContainerUsage{
			{Name: "main", WorkingSet: ptrQ("10Mi")}, {Name: "side", WorkingSet: ptrQ("20Mi")}}},
			"The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container main was using 10Mi, request is 0, has larger consumption of memory. "},
		{"under request", th, usage(pod("p", 0, "1Gi"), "120Mi", ""),
			"The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. "},
		{"no stats", th, PodUsage{Pod: pod("p", 0, "")},
			"The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. "},
		{"percentage, ephemeral storage", Threshold{Signal: SignalNodeFsAvailable, Percentage: 0.5, Hard: true}, usage(pod("p", 0, ""), "1Mi", "3Gi"),
			"The node was low on resource: ephemeral-storage. Threshold quantity: 4Gi, available: 90Mi. Container main was using 3Gi, request is 0, has larger consumption of ephemeral-storage. "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Message(tc.th, obs, tc.pu); got != tc.want {
				t.Errorf("message =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestDecide runs passes over time and checks conditions and victims.
func TestDecide(t *testing.T) {
	hard := mustParse(t, "memory.available<100Mi", "", "")
	soft := mustParse(t, "", "memory.available<1Gi", "memory.available=1m")
	critical := usage(pod("critical", systemCriticalPriority, ""), "900Mi", "")
	static := usage(pod("static", 0, ""), "900Mi", "")
	static.Pod.Annotations = map[string]string{"kubernetes.io/config.source": "file"}
	be := usage(pod("besteffort", 0, ""), "10Mi", "")
	grace := int64(30)
	be.Pod.Spec.TerminationGracePeriodSeconds = &grace
	type pass struct {
		at           time.Duration
		avail        string
		wantPressure string
		wantVictim   string
		wantGrace    int64
	}
	tests := []struct {
		name       string
		thresholds []Threshold
		maxGrace   int64
		pods       []PodUsage
		passes     []pass
	}{
		{name: "hard threshold evicts at once, condition held for the transition period", thresholds: hard,
			pods: []PodUsage{critical, be}, passes: []pass{
				{at: 0, avail: "4Gi"},
				{at: 10 * time.Second, avail: "90Mi", wantPressure: "MemoryPressure", wantVictim: "besteffort"},
				{at: 20 * time.Second, avail: "2Gi", wantPressure: "MemoryPressure"},
				{at: 5*time.Minute + 9*time.Second, avail: "2Gi", wantPressure: "MemoryPressure"},
				{at: 5*time.Minute + 10*time.Second, avail: "2Gi"},
			}},
		{name: "critical and static pods are never evicted", thresholds: hard,
			pods: []PodUsage{critical, static}, passes: []pass{
				{at: 0, avail: "90Mi", wantPressure: "MemoryPressure"},
			}},
		{name: "soft threshold waits for its grace period, then evicts with max grace", thresholds: soft, maxGrace: 60,
			pods: []PodUsage{be}, passes: []pass{
				{at: 0, avail: "900Mi", wantPressure: "MemoryPressure"},
				{at: 50 * time.Second, avail: "900Mi", wantPressure: "MemoryPressure"},
				{at: 60 * time.Second, avail: "900Mi", wantPressure: "MemoryPressure", wantVictim: "besteffort", wantGrace: 30},
				{at: 70 * time.Second, avail: "2Gi", wantPressure: "MemoryPressure"},
				{at: 80 * time.Second, avail: "900Mi", wantPressure: "MemoryPressure"}, // grace restarts
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st State
			for _, p := range tc.passes {
				d := Decide(Input{Now: t0.Add(p.at), Thresholds: tc.thresholds, Observations: memObs(p.avail), Pods: tc.pods,
					TransitionPeriod: 5 * time.Minute, MaxPodGracePeriod: tc.maxGrace}, st)
				st = d.State
				var pressure []string
				for _, c := range d.Pressure {
					pressure = append(pressure, string(c))
				}
				victim := ""
				if d.Victim != nil {
					victim = d.Victim.Name
				}
				if strings.Join(pressure, ",") != p.wantPressure || victim != p.wantVictim || d.GracePeriod != p.wantGrace {
					t.Errorf("at %v: pressure %v victim %q grace %d, want %q %q %d", p.at, pressure, victim, d.GracePeriod,
						p.wantPressure, p.wantVictim, p.wantGrace)
				}
			}
		})
	}
}

func TestDecideConditionsPerSignal(t *testing.T) {
	ts := mustParse(t, "memory.available<100Mi,nodefs.available<10%,imagefs.inodesFree<5%,pid.available<100", "", "")
	obs := Observations{
		SignalMemoryAvailable:   {Available: resource.MustParse("1Gi"), Capacity: resource.MustParse("8Gi")},
		SignalNodeFsAvailable:   {Available: resource.MustParse("5Gi"), Capacity: resource.MustParse("100Gi")},
		SignalImageFsInodesFree: {Available: resource.MustParse("1000"), Capacity: resource.MustParse("10000")},
		SignalPIDAvailable:      {Available: resource.MustParse("50"), Capacity: resource.MustParse("1000")},
	}
	d := Decide(Input{Now: t0, Thresholds: ts, Observations: obs, TransitionPeriod: time.Minute}, State{})
	if got := len(d.Pressure); got != 2 || d.Pressure[0] != v1.NodeDiskPressure || d.Pressure[1] != v1.NodePIDPressure {
		t.Errorf("pressure = %v, want [DiskPressure PIDPressure]", d.Pressure)
	}
	// Disk is reclaimed before pids.
	if len(d.Met) != 2 || d.Met[0].Signal != SignalNodeFsAvailable {
		t.Errorf("met = %v", d.Met)
	}
}
