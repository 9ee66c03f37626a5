package leaderelect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Timings, as upstream's defaults.
const (
	LeaseDuration = 15 * time.Second
	RenewDeadline = 10 * time.Second
	RetryPeriod   = 2 * time.Second
	namespace     = "kube-system"
)

// ErrLost is returned when leadership ends while the context is still live;
// the caller decides what follows (usually: stand for election again).
var ErrLost = errors.New("leader election lost")

// Config names the Lease and the candidate.
type Config struct {
	RestConfig *rest.Config
	// Lease is the Lease's name in kube-system.
	Lease    string
	Identity string
	Log      *slog.Logger
}

// Run runs f while holding the Lease and returns once f has returned: nil
// when ctx ended, f's error, or ErrLost.
func Run(ctx context.Context, cfg Config, f func(ctx context.Context) error) error {
	if cfg.Identity == "" {
		return fmt.Errorf("%s: empty leader-election identity", cfg.Lease)
	}
	leConfig := rest.CopyConfig(cfg.RestConfig)
	leConfig.Timeout = RenewDeadline
	client, err := kubernetes.NewForConfig(leConfig)
	if err != nil {
		return fmt.Errorf("build leader-election client: %w", err)
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, namespace, cfg.Lease,
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: cfg.Identity})
	if err != nil {
		return fmt.Errorf("build lease lock: %w", err)
	}
	term := &term{}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, LeaseDuration: LeaseDuration, RenewDeadline: RenewDeadline, RetryPeriod: RetryPeriod,
		ReleaseOnCancel: true, Name: cfg.Lease,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				cfg.Log.Info("started leading", "lease", cfg.Lease, "identity", cfg.Identity)
				term.run(func() error { return f(lctx) })
			},
			OnStoppedLeading: func() { cfg.Log.Info("stopped leading", "lease", cfg.Lease, "identity", cfg.Identity) },
			OnNewLeader:      func(id string) { cfg.Log.Info("leader observed", "lease", cfg.Lease, "leader", id) },
		},
	})
	if err != nil {
		return fmt.Errorf("build leader elector: %w", err)
	}
	le.Run(ctx)
	runErr := term.end()
	switch {
	case ctx.Err() != nil:
		return nil
	case runErr != nil:
		return runErr
	}
	return ErrLost
}

// term lets Run wait for the work the elector starts on a goroutine of its
// own, even one that starts late, so Run never returns while it still runs.
type term struct {
	mu    sync.Mutex
	ended bool
	wg    sync.WaitGroup
	err   error
}

// run runs f unless the term already ended, and records its error.
func (t *term) run(f func() error) {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	defer t.wg.Done()
	err := f()
	t.mu.Lock()
	t.err = err
	t.mu.Unlock()
}

// end closes the term, waits for f and returns its error.
func (t *term) end() error {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}
