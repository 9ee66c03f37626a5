package eviction

import (
	"context"
	"errors"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"
)

type fakeNode struct {
	avail    string
	obsErr   error
	pods     []*v1.Pod
	stats    int
	evicted  []string
	messages []string
	changes  int
	events   []string
}

func (f *fakeNode) options(t *testing.T, clk *testingclock.FakeClock) Options {
	return Options{
		Thresholds: mustParse(t, "memory.available<100Mi", "", ""),
		Observe: func(context.Context) (Observations, error) {
			if f.obsErr != nil {
				return nil, f.obsErr
			}
			return memObs(f.avail), nil
		},
		Pods: func() []*v1.Pod { return f.pods },
		Stats: func(context.Context) (map[types.UID][]ContainerUsage, map[types.UID]int64, error) {
			f.stats++
			return map[types.UID][]ContainerUsage{"uid-be": {{Name: "main", WorkingSet: ptrQ("120Mi")}},
				"uid-burst": {{Name: "main", WorkingSet: ptrQ("500Mi")}}}, nil, nil
		},
		Evict: func(_ context.Context, p *v1.Pod, msg string, grace int64) bool {
			f.evicted = append(f.evicted, p.Name)
			f.messages = append(f.messages, msg)
			for i := range f.pods { // the evicted pod leaves the active set
				if f.pods[i] == p {
					f.pods = append(f.pods[:i:i], f.pods[i+1:]...)
					break
				}
			}
			return true
		},
		OnChange:  func() { f.changes++ },
		NodeEvent: func(typ, reason, msg string) { f.events = append(f.events, typ+" "+reason+" "+msg) },
		Clock:     clk,
	}
}

func TestManagerSynchronize(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	f := &fakeNode{avail: "4Gi", pods: []*v1.Pod{pod("be", 0, ""), pod("burst", 0, "1Gi")}}
	m, err := NewManager(f.options(t, clk))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m.Synchronize(ctx)
	if len(m.Pressure()) != 0 || f.stats != 0 || f.changes != 0 {
		t.Fatalf("no pressure: pressure %v, stats read %d times, %d changes", m.Pressure(), f.stats, f.changes)
	}
	f.avail = "90Mi"
	clk.Step(10 * time.Second)
	m.Synchronize(ctx)
	if p := m.Pressure(); len(p) != 1 || p[0] != v1.NodeMemoryPressure || f.changes != 1 {
		t.Fatalf("pressure = %v after %d changes", p, f.changes)
	}
	want := "The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container main was using 120Mi, request is 0, has larger consumption of memory. "
	if len(f.evicted) != 1 || f.evicted[0] != "be" || f.messages[0] != want {
		t.Fatalf("evicted %v with %q", f.evicted, f.messages)
	}
	if len(f.events) != 1 || f.events[0] != "Warning EvictionThresholdMet Attempting to reclaim memory" {
		t.Errorf("node events = %q", f.events)
	}
	clk.Step(10 * time.Second)
	m.Synchronize(ctx) // one pod per pass
	if len(f.evicted) != 2 || f.evicted[1] != "burst" || f.changes != 1 {
		t.Fatalf("evicted %v, %d changes", f.evicted, f.changes)
	}
	f.obsErr = errors.New("no procfs")
	m.Synchronize(ctx) // an observation failure changes nothing
	if len(m.Pressure()) != 1 || len(f.evicted) != 2 {
		t.Errorf("after a failed pass: pressure %v, evicted %v", m.Pressure(), f.evicted)
	}
	f.obsErr, f.avail = nil, "4Gi"
	clk.Step(5 * time.Minute)
	m.Synchronize(ctx)
	if len(m.Pressure()) != 0 || f.changes != 2 {
		t.Errorf("after the transition period: pressure %v, %d changes", m.Pressure(), f.changes)
	}
}

func TestManagerRunTicks(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	f := &fakeNode{avail: "90Mi"}
	opts := f.options(t, clk)
	passes := make(chan struct{}, 10)
	observe := opts.Observe
	opts.Observe = func(ctx context.Context) (Observations, error) {
		passes <- struct{}{}
		return observe(ctx)
	}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	<-passes // the first pass runs at once
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	clk.Step(10 * time.Second)
	<-passes
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(Options{}); err == nil {
		t.Error("NewManager without functions: no error")
	}
}
