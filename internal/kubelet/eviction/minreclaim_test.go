package eviction

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"
)

func TestWithMinimumReclaim(t *testing.T) {
	base := mustParse(t, "memory.available<100Mi,nodefs.available<10%", "memory.available<1Gi", "memory.available=1m")
	tests := []struct {
		spec    string
		want    map[string]string // threshold -> reclaim value at capacity 10Gi
		wantErr string
	}{
		{spec: "", want: map[string]string{}},
		{spec: "memory.available=0Mi,nodefs.available=500Mi", want: map[string]string{
			"memory.available<100Mi": "0", "memory.available<1Gi": "0", "nodefs.available<10%": "500Mi"}},
		{spec: "nodefs.available=5%", want: map[string]string{"nodefs.available<10%": "512Mi"}},
		{spec: "imagefs.available=2Gi", want: map[string]string{}}, // no such threshold: nothing to set
		{spec: "memory.available", wantErr: "want signal=value"},
		{spec: "disk.available=1Gi", wantErr: "unknown signal"},
		{spec: "memory.available=-1Mi", wantErr: "negative"},
		{spec: "memory.available=101%", wantErr: "percentage"},
		{spec: "memory.available=1Mi,memory.available=2Mi", wantErr: "given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := WithMinimumReclaim(base, tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]string{}
			for _, th := range got {
				if th.MinReclaim != nil {
					v := th.MinReclaim.Value(resource.MustParse("10Gi"))
					have[th.String()] = v.String()
				}
			}
			if len(have) != len(tc.want) {
				t.Fatalf("reclaims = %v, want %v", have, tc.want)
			}
			for k, v := range tc.want {
				if have[k] != v {
					t.Errorf("reclaim of %s = %q, want %q", k, have[k], v)
				}
			}
			for _, th := range base {
				if th.MinReclaim != nil {
					t.Fatal("the input thresholds were modified")
				}
			}
		})
	}
}

// TestDecideMinimumReclaim: once met, a threshold stays met (pressure and
// evictions) until available reaches threshold plus minimum reclaim.
func TestDecideMinimumReclaim(t *testing.T) {
	ts, err := WithMinimumReclaim(mustParse(t, "memory.available<100Mi", "", ""), "memory.available=500Mi")
	if err != nil {
		t.Fatal(err)
	}
	pods := []PodUsage{usage(pod("a", 0, ""), "10Mi", ""), usage(pod("b", 0, ""), "10Mi", "")}
	passes := []struct {
		avail      string
		wantMet    bool
		wantVictim bool
	}{
		{"200Mi", false, false}, // above the threshold, never met: min reclaim does not apply
		{"90Mi", true, true},
		{"300Mi", true, true},   // back above 100Mi, but below 600Mi: keeps reclaiming
		{"599Mi", true, true},   // still short
		{"600Mi", false, false}, // resolved
		{"300Mi", false, false}, // not met again until below the threshold itself
	}
	var st State
	for i, p := range passes {
		d := Decide(Input{Now: t0.Add(time.Duration(i) * 10 * time.Second), Thresholds: ts, Observations: memObs(p.avail),
			Pods: pods, TransitionPeriod: time.Second}, st)
		st = d.State
		if got := len(d.Met) > 0; got != p.wantMet {
			t.Errorf("pass %d at %s: met = %v, want %v", i, p.avail, d.Met, p.wantMet)
		}
		if got := d.Victim != nil; got != p.wantVictim {
			t.Errorf("pass %d at %s: victim = %v, want one: %v", i, p.avail, d.Victim, p.wantVictim)
		}
		if p.wantMet && (len(d.Pressure) != 1 || d.Pressure[0] != v1.NodeMemoryPressure) {
			t.Errorf("pass %d at %s: pressure = %v", i, p.avail, d.Pressure)
		}
	}
}

func TestReclaimSteps(t *testing.T) {
	tests := []struct {
		signal    Signal
		dedicated bool
		want      string
	}{
		{SignalMemoryAvailable, false, ""},
		{SignalPIDAvailable, false, ""},
		{SignalNodeFsAvailable, false, "containers,images"},
		{SignalNodeFsInodesFree, false, "containers,images"},
		{SignalImageFsAvailable, false, "containers,images"},
		{SignalNodeFsAvailable, true, ""},
		{SignalNodeFsInodesFree, true, ""},
		{SignalImageFsAvailable, true, "containers,images"},
		{SignalImageFsInodesFree, true, "containers,images"},
	}
	for _, tc := range tests {
		var got []string
		for _, s := range reclaimSteps(tc.signal, tc.dedicated) {
			got = append(got, string(s))
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("reclaimSteps(%s, dedicated=%v) = %v, want %q", tc.signal, tc.dedicated, got, tc.want)
		}
	}
}

// diskNode is a node whose nodefs has avail bytes free of 100Gi; reclaiming
// containers and images frees what the fields say.
type diskNode struct {
	avail            resource.Quantity
	containersFree   string
	imagesFree       string
	calls            []string
	evicted          []string
	dedicatedImageFs bool
}

func (d *diskNode) options(t *testing.T, hard, minReclaim string) Options {
	ts, err := WithMinimumReclaim(mustParse(t, hard, "", ""), minReclaim)
	if err != nil {
		t.Fatal(err)
	}
	free := func(step, amount string) func(context.Context) error {
		return func(context.Context) error {
			d.calls = append(d.calls, step)
			d.avail.Add(resource.MustParse(amount))
			return nil
		}
	}
	return Options{
		Thresholds: ts,
		Observe: func(context.Context) (Observations, error) {
			return Observations{SignalNodeFsAvailable: {Available: d.avail.DeepCopy(), Capacity: resource.MustParse("100Gi")}}, nil
		},
		Pods: func() []*v1.Pod { return []*v1.Pod{pod("victim", 0, "")} },
		Stats: func(context.Context) (map[types.UID][]ContainerUsage, map[types.UID]int64, error) {
			return nil, nil, nil
		},
		Evict: func(_ context.Context, p *v1.Pod, _ string, _ int64) bool {
			d.evicted = append(d.evicted, p.Name)
			return true
		},
		DeleteUnusedContainers: free("containers", d.containersFree),
		DeleteUnusedImages:     free("images", d.imagesFree),
		DedicatedImageFs:       d.dedicatedImageFs,
		Clock:                  testingclock.NewFakeClock(t0),
	}
}

func TestManagerReclaimsNodeLevelFirst(t *testing.T) {
	tests := []struct {
		name        string
		node        diskNode
		minReclaim  string
		wantCalls   string
		wantEvicted string
	}{
		{name: "images free enough: no eviction", node: diskNode{avail: resource.MustParse("5Gi"), containersFree: "1Gi", imagesFree: "5Gi"},
			wantCalls: "containers,images"},
		{name: "not enough freed: a pod is evicted", node: diskNode{avail: resource.MustParse("5Gi"), containersFree: "1Gi", imagesFree: "1Gi"},
			wantCalls: "containers,images", wantEvicted: "victim"},
		{name: "above the threshold but short of the minimum reclaim: a pod is evicted", minReclaim: "nodefs.available=5Gi",
			node:      diskNode{avail: resource.MustParse("5Gi"), containersFree: "0", imagesFree: "6Gi"},
			wantCalls: "containers,images", wantEvicted: "victim"},
		{name: "minimum reclaim met: no eviction", minReclaim: "nodefs.available=5Gi",
			node:      diskNode{avail: resource.MustParse("5Gi"), containersFree: "0", imagesFree: "10Gi"},
			wantCalls: "containers,images"},
		{name: "dedicated imagefs: nodefs pressure reclaims nothing at node level",
			node:      diskNode{avail: resource.MustParse("5Gi"), containersFree: "1Gi", imagesFree: "10Gi", dedicatedImageFs: true},
			wantCalls: "", wantEvicted: "victim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.node
			m, err := NewManager(n.options(t, "nodefs.available<10%", tc.minReclaim))
			if err != nil {
				t.Fatal(err)
			}
			m.Synchronize(context.Background())
			if got := strings.Join(n.calls, ","); got != tc.wantCalls {
				t.Errorf("reclaim calls = %q, want %q", got, tc.wantCalls)
			}
			if got := strings.Join(n.evicted, ","); got != tc.wantEvicted {
				t.Errorf("evicted = %q, want %q", got, tc.wantEvicted)
			}
		})
	}
}

func TestManagerAdmit(t *testing.T) {
	f := &fakeNode{avail: "90Mi"}
	m, err := NewManager(f.options(t, testingclock.NewFakeClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := m.Admit(pod("be", 0, "")); !ok {
		t.Error("rejected before any pressure was seen")
	}
	m.Synchronize(context.Background())
	if ok, reason, msg := m.Admit(pod("be2", 0, "")); ok || reason != "Evicted" || msg != "The node had condition: [MemoryPressure]. " {
		t.Errorf("Admit under memory pressure = %v %q %q", ok, reason, msg)
	}
	if ok, _, _ := m.Admit(pod("burstable", 0, "1Mi")); !ok {
		t.Error("burstable pod rejected under memory pressure")
	}
}
