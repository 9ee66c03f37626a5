package imagegc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/clock"
)

// Policy is the image GC policy (the kubelet's --image-gc-* flags).
type Policy struct {
	// HighThresholdPercent of imagefs usage starts a collection (85);
	// 100 disables collection by usage. LowThresholdPercent is where it
	// stops (80).
	HighThresholdPercent, LowThresholdPercent int
	// MinAge is how long an image is kept after it was first seen (2m).
	MinAge time.Duration
}

// DefaultPolicy is upstream's default.
func DefaultPolicy() Policy {
	return Policy{HighThresholdPercent: 85, LowThresholdPercent: 80, MinAge: 2 * time.Minute}
}

// Validate checks the thresholds as upstream does.
func (p Policy) Validate() error {
	switch {
	case p.HighThresholdPercent < 0 || p.HighThresholdPercent > 100:
		return fmt.Errorf("image-gc-high-threshold %d must be between 0 and 100", p.HighThresholdPercent)
	case p.LowThresholdPercent < 0 || p.LowThresholdPercent > 100:
		return fmt.Errorf("image-gc-low-threshold %d must be between 0 and 100", p.LowThresholdPercent)
	case p.LowThresholdPercent > p.HighThresholdPercent:
		return fmt.Errorf("image-gc-low-threshold %d must not exceed image-gc-high-threshold %d", p.LowThresholdPercent, p.HighThresholdPercent)
	case p.MinAge < 0:
		return fmt.Errorf("image-minimum-gc-age %v must not be negative", p.MinAge)
	}
	return nil
}

// Options configure a Manager. Images, Runtime and FsStats are required.
type Options struct {
	Policy  Policy
	Images  internalapi.ImageManagerService
	Runtime internalapi.RuntimeService
	// FsStats reads the image file system's capacity and available bytes.
	FsStats func(ctx context.Context) (capacity, available int64, err error)
	// Pinned are image references never deleted (the pause image), besides
	// those the runtime reports pinned.
	Pinned []string
	// NodeEvent records an event on the Node; nil for none.
	NodeEvent func(eventType, reason, message string)
	// Period is how often Run collects; 5 min by default.
	Period time.Duration
	Clock  clock.WithTicker
	Log    *slog.Logger
}

// Manager tracks image use and collects images.
type Manager struct {
	opts Options

	mu      sync.Mutex // serializes passes and guards records
	records map[string]*record
	failed  bool // the previous collection failed
}

type record struct {
	firstDetected, lastUsed time.Time
}

// NewManager checks opts and builds a Manager.
func NewManager(opts Options) (*Manager, error) {
	if opts.Images == nil || opts.Runtime == nil || opts.FsStats == nil {
		return nil, errors.New("imagegc: Images, Runtime and FsStats are required")
	}
	if err := opts.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("imagegc: %w", err)
	}
	if opts.Period == 0 {
		opts.Period = 5 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{opts: opts, records: map[string]*record{}}, nil
}

// Run detects images at once and collects every period until ctx ends;
// it returns nil then. A collection that fails twice in a row records the
// Warning event ImageGCFailed, as upstream.
func (m *Manager) Run(ctx context.Context) error {
	if _, err := m.detect(ctx); err != nil {
		m.opts.Log.Warn("detect images failed", "err", err)
	}
	t := m.opts.Clock.NewTicker(m.opts.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		m.collectOnce(ctx)
	}
}

// collectOnce runs GarbageCollect and reports repeated failures.
func (m *Manager) collectOnce(ctx context.Context) {
	err := m.GarbageCollect(ctx)
	m.mu.Lock()
	repeated := err != nil && m.failed
	m.failed = err != nil
	m.mu.Unlock()
	switch {
	case repeated:
		m.opts.Log.Error("image garbage collection failed multiple times in a row", "err", err)
		m.event(v1.EventTypeWarning, "ImageGCFailed", err.Error())
	case err != nil:
		m.opts.Log.Warn("image garbage collection failed once", "err", err)
	}
}

// GarbageCollect frees images when imagefs usage is at or above the high
// threshold, down to the low threshold. When it cannot free enough it
// records the Warning event FreeDiskSpaceFailed on the Node and returns an
// error with the same message.
func (m *Manager) GarbageCollect(ctx context.Context) error {
	capacity, available, err := m.opts.FsStats(ctx)
	if err != nil {
		return fmt.Errorf("read image file system stats: %w", err)
	}
	if capacity <= 0 {
		msg := fmt.Sprintf("invalid capacity %d on image filesystem", capacity)
		m.event(v1.EventTypeWarning, "InvalidDiskCapacity", msg)
		return errors.New(msg)
	}
	p := m.opts.Policy
	amount := AmountToFree(capacity, available, p.HighThresholdPercent, p.LowThresholdPercent)
	if p.HighThresholdPercent >= 100 || amount == 0 {
		_, err := m.detect(ctx) // keep last-used times current
		return err
	}
	m.opts.Log.Info("image file system usage over the high threshold: freeing images",
		"usagePercent", 100-available*100/capacity, "highThreshold", p.HighThresholdPercent, "bytesToFree", amount)
	freed, err := m.freeSpace(ctx, amount)
	if err != nil {
		return err
	}
	if freed < amount {
		msg := fmt.Sprintf("Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", amount, freed)
		m.event(v1.EventTypeWarning, "FreeDiskSpaceFailed", msg)
		return errors.New(msg)
	}
	return nil
}

// DeleteUnusedImages deletes every image no container uses (minimum age
// and pins still apply): the eviction manager's node-level reclaim.
func (m *Manager) DeleteUnusedImages(ctx context.Context) error {
	_, err := m.freeSpace(ctx, math.MaxInt64)
	return err
}

// freeSpace detects images, then deletes per Plan; it returns the bytes of
// the images deleted.
func (m *Manager) freeSpace(ctx context.Context, bytesToFree int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	candidates, err := m.detectLocked(ctx)
	if err != nil {
		return 0, err
	}
	now := m.opts.Clock.Now()
	ids, _ := Plan(candidates, bytesToFree, now, m.opts.Policy.MinAge)
	sizes := map[string]int64{}
	for _, c := range candidates {
		sizes[c.ID] = c.Size
	}
	var freed int64
	var errs []error
	for _, id := range ids {
		m.opts.Log.Info("removing image to free bytes", "image", id, "size", sizes[id])
		if err := m.opts.Images.RemoveImage(ctx, &runtimeapi.ImageSpec{Image: id}); err != nil {
			errs = append(errs, fmt.Errorf("remove image %s: %w", id, err))
			continue
		}
		delete(m.records, id)
		freed += sizes[id]
	}
	if len(errs) > 0 {
		return freed, fmt.Errorf("wanted to free %d bytes, but freed %d bytes space with errors in image deletion: %w",
			bytesToFree, freed, errors.Join(errs...))
	}
	return freed, nil
}

// detect updates the records from the runtime and returns the candidates.
func (m *Manager) detect(ctx context.Context) ([]Candidate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.detectLocked(ctx)
}

func (m *Manager) detectLocked(ctx context.Context) ([]Candidate, error) {
	imgs, err := m.opts.Images.ListImages(ctx, &runtimeapi.ImageFilter{})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	cs, err := m.opts.Runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	used := map[string]bool{}
	for _, c := range cs {
		used[c.GetImageRef()] = true
		used[c.GetImage().GetImage()] = true
	}
	now := m.opts.Clock.Now()
	seen := map[string]bool{}
	out := make([]Candidate, 0, len(imgs))
	for _, img := range imgs {
		seen[img.Id] = true
		r := m.records[img.Id]
		if r == nil {
			r = &record{firstDetected: now}
			m.records[img.Id] = r
		}
		inUse := used[img.Id] || slices.ContainsFunc(img.RepoTags, func(t string) bool { return used[t] }) ||
			slices.ContainsFunc(img.RepoDigests, func(d string) bool { return used[d] })
		if inUse {
			r.lastUsed = now
		}
		pinned := img.Pinned || slices.ContainsFunc(img.RepoTags, func(t string) bool { return slices.Contains(m.opts.Pinned, t) })
		out = append(out, Candidate{ID: img.Id, Size: int64(img.Size), FirstDetected: r.firstDetected, LastUsed: r.lastUsed,
			InUse: inUse, Pinned: pinned})
	}
	for id := range m.records {
		if !seen[id] {
			delete(m.records, id)
		}
	}
	return out, nil
}

func (m *Manager) event(eventType, reason, message string) {
	if m.opts.NodeEvent != nil {
		m.opts.NodeEvent(eventType, reason, message)
	}
}
