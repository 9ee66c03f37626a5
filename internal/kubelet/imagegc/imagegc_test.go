package imagegc

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	testingclock "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestPlan(t *testing.T) {
	old := t0.Add(-time.Hour)
	tests := []struct {
		name       string
		candidates []Candidate
		toFree     int64
		wantIDs    string
		wantFreed  int64
	}{
		{name: "least recently used first, stops once enough is freed", toFree: 150, candidates: []Candidate{
			{ID: "recent", Size: 100, FirstDetected: old, LastUsed: t0.Add(-time.Minute)},
			{ID: "never-used", Size: 100, FirstDetected: old},
			{ID: "used-long-ago", Size: 100, FirstDetected: old, LastUsed: old.Add(time.Minute)},
		}, wantIDs: "never-used,used-long-ago", wantFreed: 200},
		{name: "same last use: first detected first", toFree: 1, candidates: []Candidate{
			{ID: "b", Size: 10, FirstDetected: old.Add(time.Second)},
			{ID: "a", Size: 10, FirstDetected: old},
		}, wantIDs: "a", wantFreed: 10},
		{name: "in use, pinned and young images are kept", toFree: 1000, candidates: []Candidate{
			{ID: "in-use", Size: 100, FirstDetected: old, LastUsed: t0, InUse: true},
			{ID: "pause", Size: 100, FirstDetected: old, Pinned: true},
			{ID: "young", Size: 100, FirstDetected: t0.Add(-time.Minute)},
			{ID: "just-old-enough", Size: 100, FirstDetected: t0.Add(-2 * time.Minute)},
		}, wantIDs: "just-old-enough", wantFreed: 100},
		{name: "nothing to free", toFree: 0, candidates: []Candidate{{ID: "a", Size: 10, FirstDetected: old}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, freed := Plan(tc.candidates, tc.toFree, t0, 2*time.Minute)
			if strings.Join(ids, ",") != tc.wantIDs || freed != tc.wantFreed {
				t.Errorf("Plan = %v, %d; want %s, %d", ids, freed, tc.wantIDs, tc.wantFreed)
			}
		})
	}
}

func TestAmountToFree(t *testing.T) {
	tests := []struct {
		capacity, available int64
		high, low           int
		want                int64
	}{
		{1000, 200, 85, 80, 0},   // 80% used: under high
		{1000, 160, 85, 80, 0},   // 84% used
		{1000, 150, 85, 80, 50},  // 85%: down to 80% means 200 free
		{1000, 0, 85, 80, 200},   // full
		{1000, 100, 90, 90, 0},   // 90% used, already at low
		{0, 0, 85, 80, 0},        // unknown capacity
		{1000, 500, 50, 10, 400}, // aggressive policy
	}
	for _, tc := range tests {
		if got := AmountToFree(tc.capacity, tc.available, tc.high, tc.low); got != tc.want {
			t.Errorf("AmountToFree(%d, %d, %d, %d) = %d, want %d", tc.capacity, tc.available, tc.high, tc.low, got, tc.want)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		p       Policy
		wantErr bool
	}{
		{DefaultPolicy(), false},
		{Policy{HighThresholdPercent: 100, LowThresholdPercent: 80}, false},
		{Policy{HighThresholdPercent: 101, LowThresholdPercent: 80}, true},
		{Policy{HighThresholdPercent: 80, LowThresholdPercent: 85}, true},
		{Policy{HighThresholdPercent: 85, LowThresholdPercent: -1}, true},
		{Policy{HighThresholdPercent: 85, LowThresholdPercent: 80, MinAge: -time.Second}, true},
	}
	for _, tc := range tests {
		if err := tc.p.Validate(); (err != nil) != tc.wantErr {
			t.Errorf("Validate(%+v) = %v, want error %v", tc.p, err, tc.wantErr)
		}
	}
}

// fakeNode holds images and containers; removing an image frees its size
// on the image file system.
type fakeNode struct {
	internalapi.RuntimeService // only ListContainers is used

	mu         sync.Mutex
	capacity   int64
	available  int64
	images     []*runtimeapi.Image
	containers []*runtimeapi.Container
	removed    []string
	removeErr  error
	events     []string
}

func (f *fakeNode) ListImages(context.Context, *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*runtimeapi.Image(nil), f.images...), nil
}
func (f *fakeNode) ImageStatus(context.Context, *runtimeapi.ImageSpec, bool) (*runtimeapi.ImageStatusResponse, error) {
	return nil, errors.New("not used")
}
func (f *fakeNode) PullImage(context.Context, *runtimeapi.ImageSpec, *runtimeapi.AuthConfig, *runtimeapi.PodSandboxConfig) (string, error) {
	return "", errors.New("not used")
}
func (f *fakeNode) RemoveImage(_ context.Context, spec *runtimeapi.ImageSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removeErr != nil {
		return f.removeErr
	}
	for i, img := range f.images {
		if img.Id == spec.Image {
			f.available += int64(img.Size)
			f.images = append(f.images[:i:i], f.images[i+1:]...)
			f.removed = append(f.removed, spec.Image)
			return nil
		}
	}
	return errors.New("no such image")
}
func (f *fakeNode) ImageFsInfo(context.Context) (*runtimeapi.ImageFsInfoResponse, error) {
	return nil, errors.New("not used")
}
func (f *fakeNode) Close(context.Context) error { return nil }
func (f *fakeNode) ListContainers(context.Context, *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*runtimeapi.Container(nil), f.containers...), nil
}

func (f *fakeNode) manager(t *testing.T, clk *testingclock.FakeClock) *Manager {
	t.Helper()
	m, err := NewManager(Options{Policy: DefaultPolicy(), Images: f, Runtime: f, Clock: clk,
		FsStats: func(context.Context) (int64, int64, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.capacity, f.available, nil
		},
		Pinned: []string{"capstan.local/pause:3.10"},
		NodeEvent: func(typ, reason, msg string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events = append(f.events, typ+" "+reason+" "+msg)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func image(id, tag string, size uint64) *runtimeapi.Image {
	return &runtimeapi.Image{Id: id, RepoTags: []string{tag}, Size: size}
}

func TestGarbageCollect(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	f := &fakeNode{capacity: 1000, available: 100, images: []*runtimeapi.Image{
		image("sha256:pause", "capstan.local/pause:3.10", 300),
		image("sha256:app", "example.com/app:1", 100),
		image("sha256:old", "example.com/old:1", 60),
		image("sha256:older", "example.com/older:1", 60),
		image("sha256:dead", "example.com/dead:1", 200),
	}, containers: []*runtimeapi.Container{
		{Id: "c1", ImageRef: "sha256:app", State: runtimeapi.ContainerState_CONTAINER_RUNNING},
		{Id: "c2", Image: &runtimeapi.ImageSpec{Image: "example.com/dead:1"}, State: runtimeapi.ContainerState_CONTAINER_EXITED},
		{Id: "c3", ImageRef: "sha256:old", State: runtimeapi.ContainerState_CONTAINER_EXITED},
	}}
	m := f.manager(t, clk)
	ctx := context.Background()
	// First seen now: everything is too young.
	if err := m.GarbageCollect(ctx); err == nil || !strings.Contains(err.Error(), "Attempted to free 100 bytes, but only found 0 bytes eligible to free.") {
		t.Fatalf("first collection: %v", err)
	}
	if want := "Warning FreeDiskSpaceFailed Failed to garbage collect required amount of images. Attempted to free 100 bytes, but only found 0 bytes eligible to free."; len(f.events) != 1 || f.events[0] != want {
		t.Fatalf("events = %q", f.events)
	}
	// The container of "old" goes away; it was used more recently than
	// "older", which was never used.
	clk.Step(time.Minute)
	f.containers = f.containers[:2]
	if err := m.GarbageCollect(ctx); err == nil {
		t.Fatal("collection before the minimum age: no error")
	}
	clk.Step(2 * time.Minute)
	if err := m.GarbageCollect(ctx); err != nil {
		t.Fatalf("collection: %v", err)
	}
	if got := strings.Join(f.removed, ","); got != "sha256:older,sha256:old" {
		t.Errorf("removed %s, want older then old (pause, running and exited containers' images kept)", got)
	}
	// 780 of 1000 used: under the high threshold, nothing more to do.
	if err := m.GarbageCollect(ctx); err != nil || len(f.removed) != 2 {
		t.Errorf("collection under the threshold: %v, removed %v", err, f.removed)
	}
}

func TestDeleteUnusedImages(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	f := &fakeNode{capacity: 1000, available: 900, images: []*runtimeapi.Image{
		image("sha256:pause", "capstan.local/pause:3.10", 10),
		{Id: "sha256:pinned-by-runtime", Size: 10, Pinned: true},
		image("sha256:app", "example.com/app:1", 10),
		image("sha256:unused", "example.com/unused:1", 10),
	}, containers: []*runtimeapi.Container{{Id: "c1", Image: &runtimeapi.ImageSpec{Image: "sha256:app"}}}}
	m := f.manager(t, clk)
	ctx := context.Background()
	if err := m.DeleteUnusedImages(ctx); err != nil || len(f.removed) != 0 {
		t.Fatalf("young images: %v, removed %v", err, f.removed)
	}
	clk.Step(3 * time.Minute)
	if err := m.DeleteUnusedImages(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.removed, ","); got != "sha256:unused" {
		t.Errorf("removed %s, want only the unused image", got)
	}
	f.images = append(f.images, image("sha256:another", "example.com/another:1", 10))
	if err := m.DeleteUnusedImages(ctx); err != nil || len(f.removed) != 1 {
		t.Fatalf("a new image: %v, removed %v", err, f.removed)
	}
	clk.Step(3 * time.Minute)
	f.removeErr = errors.New("image is in use by a container")
	if err := m.DeleteUnusedImages(ctx); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("failed removal: err = %v", err)
	}
}

// TestRunReportsRepeatedFailures: ImageGCFailed only from the second
// failure in a row, as upstream.
func TestRunReportsRepeatedFailures(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	f := &fakeNode{capacity: 1000, available: 0}
	m := f.manager(t, clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	count := func(reason string) int {
		f.mu.Lock()
		defer f.mu.Unlock()
		n := 0
		for _, e := range f.events {
			if strings.HasPrefix(e, "Warning "+reason+" ") {
				n++
			}
		}
		return n
	}
	for pass := 1; pass <= 2; pass++ {
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		clk.Step(5 * time.Minute)
		for count("FreeDiskSpaceFailed") < pass {
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count("ImageGCFailed"); n != 1 {
		t.Errorf("ImageGCFailed events = %d after two failures, want 1", n)
	}
}
