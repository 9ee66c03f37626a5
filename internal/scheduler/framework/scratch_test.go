package framework

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// modPicky skips its PreFilter, and so its Filter, for pods without the
// label "mod"; otherwise it rejects nodes whose number is not a multiple
// of the label's value (every node for 0). Its PreScore skips for pods without "score", so
// that cycles differ in which plugins run.
type modPicky struct{}

const modKey = StateKey("ModPicky")

func (modPicky) Name() string { return "ModPicky" }
func (modPicky) PreFilter(_ context.Context, state *CycleState, pod *v1.Pod, _ *Snapshot) *Status {
	m := 0
	if _, err := fmt.Sscan(pod.Labels["mod"], &m); err != nil || m < 0 {
		return NewStatus(Skip)
	}
	state.Write(modKey, &modState{m: m, reject: NewStatus(Unschedulable, "not a multiple").WithPlugin("ModPicky")})
	return nil
}

// modState is ModPicky's cycle state: the rejection is made once, so that
// Filter allocates nothing; it is named once, as concurrent Filter calls
// return it.
type modState struct {
	m      int
	reject *Status
}

func (modPicky) Filter(_ context.Context, state *CycleState, _ *v1.Pod, n *NodeInfo) *Status {
	v, _ := state.Read(modKey)
	if s := v.(*modState); s.m == 0 || nodeNum(n)%s.m != 0 {
		return s.reject
	}
	return nil
}
func (modPicky) PreScore(_ context.Context, _ *CycleState, pod *v1.Pod, _ []*NodeInfo) *Status {
	if pod.Labels["score"] == "" {
		return NewStatus(Skip)
	}
	return nil
}
func (modPicky) Score(_ context.Context, _ *CycleState, _ *v1.Pod, n *NodeInfo) (int64, *Status) {
	return int64(nodeNum(n) % 7), nil
}
func (p modPicky) ScoreExtensions() ScoreExtensions { return p }
func (modPicky) NormalizeScore(_ context.Context, _ *CycleState, _ *v1.Pod, scores []NodeScore) *Status {
	DefaultNormalizeScore(MaxNodeScore, true, scores)
	return nil
}

func labelled(name string, kv ...string) *v1.Pod {
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Labels[kv[i]] = kv[i+1]
	}
	return p
}

// TestReusedScratchDecidesAsAFreshAlgorithm schedules a sequence of pods
// whose cycles skip different plugins on one Algorithm and, for each, on
// a new Algorithm started at the same index: buffers and memoized runners
// carried between cycles must not change any decision or error.
func TestReusedScratchDecidesAsAFreshAlgorithm(t *testing.T) {
	pods := []*v1.Pod{
		labelled("plain"),
		labelled("mod3", "mod", "3"),
		labelled("mod3-score", "mod", "3", "score", "y"),
		labelled("score", "score", "y"),
		labelled("mod1000", "mod", "1000", "score", "y"), // fits n0000 and n1000
		labelled("mod5000", "mod", "5000"),               // fits only n0000
		labelled("mod0", "mod", "0"),                     // fits nowhere
		labelled("plain-again"),
		labelled("mod7", "mod", "7"),
	}
	entries := []PluginEntry{{Plugin: oddOut{}, Weight: 1}, {Plugin: modPicky{}, Weight: 3}}
	for _, parallelism := range []int{1, 2} {
		snap := snapshotOf(1200)
		reused := NewAlgorithm(NewFramework(entries), 0, parallelism)
		for _, pod := range pods {
			fresh := NewAlgorithm(NewFramework(entries), 0, parallelism)
			fresh.next = reused.next
			got, gotErr := reused.Schedule(context.Background(), pod, snap)
			want, wantErr := fresh.Schedule(context.Background(), pod, snap)
			got.PodInfo, want.PodInfo = nil, nil
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("parallelism %d, pod %s: error %v, fresh algorithm %v", parallelism, pod.Name, gotErr, wantErr)
			}
			if parallelism == 1 && (got != want || reused.next != fresh.next) {
				t.Errorf("pod %s: %+v next %d, fresh algorithm %+v next %d", pod.Name, got, reused.next, want, fresh.next)
			}
		}
		if len(reused.buf.runners) != 2 {
			t.Errorf("parallelism %d: %d memoized runners, want 2 (ModPicky skipped or not)", parallelism, len(reused.buf.runners))
		}
	}
}

// TestScheduleLeavesNoPointersInScratch: after a cycle, nothing of it
// (statuses, nodes, plugin state, the pod) stays reachable from the
// Algorithm.
func TestScheduleLeavesNoPointersInScratch(t *testing.T) {
	a := NewAlgorithm(NewFramework([]PluginEntry{{Plugin: oddOut{}, Weight: 1}, {Plugin: modPicky{}}}), 100, 1)
	snap := snapshotOf(200)
	for _, pod := range []*v1.Pod{labelled("p", "mod", "4", "score", "y"), labelled("one", "mod", "1001"), labelled("none", "mod", "0")} {
		_, _ = a.Schedule(context.Background(), pod, snap)
		b := &a.buf
		for i, st := range b.results[:cap(b.results)] {
			if st != nil {
				t.Fatalf("pod %s: results[%d] kept %v", pod.Name, i, st)
			}
		}
		for i, n := range b.feasible[:cap(b.feasible)] {
			if n != nil {
				t.Fatalf("pod %s: feasible[%d] kept %s", pod.Name, i, n.Name())
			}
		}
		for i, s := range b.scoreAt {
			if s.Name != "" {
				t.Fatalf("pod %s: scores[%d] kept %s", pod.Name, i, s.Name)
			}
		}
		if len(b.state.values) != 0 || b.state.pod != nil || b.state.snapshot != nil || b.cycle.state != nil {
			t.Fatalf("pod %s: cycle state kept: %d values, pod %v", pod.Name, len(b.state.values), b.state.pod)
		}
	}
}

// TestScheduleAllocationsDoNotGrowWithNodes is the allocation budget of a
// decision: after the first cycle sized the buffers, a cycle allocates
// the same small amount on 100 nodes as on 3000, serial or parallel (most
// of it the test plugin's PreFilter; Schedule itself allocates the pod's
// PodInfo, the closures and the worker goroutine).
func TestScheduleAllocationsDoNotGrowWithNodes(t *testing.T) {
	const budget = 20
	entries := []PluginEntry{{Plugin: modPicky{}, Weight: 2}}
	for _, parallelism := range []int{1, 2} {
		var per []float64
		for _, nodes := range []int{100, 3000} {
			a := NewAlgorithm(NewFramework(entries), 0, parallelism)
			snap := snapshotOf(nodes)
			pod := labelled("p", "mod", "2", "score", "y")
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := a.Schedule(context.Background(), pod, snap); err != nil {
					t.Fatal(err)
				}
			})
			per = append(per, allocs)
		}
		if per[0] > budget || per[1] != per[0] {
			t.Errorf("parallelism %d: %v allocations per cycle on 100 and 3000 nodes, budget %d", parallelism, per, budget)
		}
	}
}

func TestParallelizeCoversEveryIndexOnceAndStops(t *testing.T) {
	for _, tc := range []struct{ workers, n, chunk int }{{1, 10, 3}, {2, 1000, 31}, {4, 7, 1}, {8, 100, 100}} {
		var b scratch
		seen := make([]atomic.Int32, tc.n)
		var stop atomic.Bool
		b.parallelize(context.Background(), tc.workers, tc.n, tc.chunk, &stop, func(i int) { seen[i].Add(1) })
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("%+v: index %d ran %d times", tc, i, c)
			}
		}
		var ran atomic.Int32
		b.parallelize(context.Background(), tc.workers, tc.n, tc.chunk, &stop, func(int) {
			if ran.Add(1) == 3 {
				stop.Store(true)
			}
		})
		// Each worker may have been past its check when stop was set.
		if r := int(ran.Load()); r < min(3, tc.n) || r > 3+tc.workers {
			t.Errorf("%+v: %d calls after stop at the third", tc, r)
		}
		stop.Store(false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran.Store(0)
		b.parallelize(ctx, tc.workers, tc.n, tc.chunk, &stop, func(int) { ran.Add(1) })
		if ran.Load() != 0 {
			t.Errorf("%+v: %d calls with a done context", tc, ran.Load())
		}
	}
}

func TestSharedSkipStatusIsNeverNamed(t *testing.T) {
	a, b := NewStatus(Skip), NewStatus(Skip)
	named := a.WithPlugin("A")
	if named.Plugin() != "A" || !named.IsSkip() {
		t.Errorf("named copy: plugin %q code %v", named.Plugin(), named.Code())
	}
	if a.Plugin() != "" || b.Plugin() != "" {
		t.Errorf("shared skip status was named: %q %q", a.Plugin(), b.Plugin())
	}
	if r := NewStatus(Skip, "why"); r == a || r.Message() != "why" {
		t.Errorf("skip with a reason must be its own status, got %v", r.Message())
	}
	u := NewStatus(Unschedulable, "no")
	if u.WithPlugin("U") != u || u.Plugin() != "U" {
		t.Error("WithPlugin copied an unshared status")
	}
}

func TestCycleStatePodInfo(t *testing.T) {
	pod, other := labelled("p"), labelled("q")
	var a Algorithm
	c := a.buf.newCycle(NewSnapshot(nil), pod, nil)
	if got := c.state.PodInfo(pod); got != c.state.pod || got.Pod != pod {
		t.Error("the cycle's pod did not get the cycle's PodInfo")
	}
	if got := c.state.PodInfo(other); got == c.state.pod || got.Pod != other {
		t.Error("another pod got the cycle's PodInfo")
	}
	if got := NewCycleState(nil).PodInfo(pod); got == nil || got.Pod != pod {
		t.Error("a state without a cycle pod must compute the PodInfo")
	}
	var nilState *CycleState
	if got := nilState.PodInfo(pod); got == nil || got.Pod != pod {
		t.Error("a nil state must compute the PodInfo")
	}
}

func TestAppendNormalizedImageName(t *testing.T) {
	for _, name := range []string{"busybox", "busybox:1.36", "registry:5000/app", "registry:5000/app:v1", "app@sha256:abc", ""} {
		if got := string(AppendNormalizedImageName([]byte("x"), name)); got != "x"+NormalizeImageName(name) {
			t.Errorf("%q: got %q, want x%s", name, got, NormalizeImageName(name))
		}
	}
}
