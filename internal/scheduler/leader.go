package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Leader election, as upstream's kube-scheduler defaults.
const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
	leaseName     = "kube-scheduler"
	leaseNS       = "kube-system"
)

// errLeadershipLost is returned when leadership ends while ctx is live.
var errLeadershipLost = errors.New("scheduler: leader election lost")

// runLeaderElected schedules only while holding the Lease.
func runLeaderElected(ctx context.Context, cfg Config) error {
	if cfg.Identity == "" {
		return errors.New("scheduler: empty leader-election identity")
	}
	leConfig := rest.CopyConfig(cfg.RestConfig)
	leConfig.Timeout = renewDeadline
	leClient, err := kubernetes.NewForConfig(leConfig)
	if err != nil {
		return fmt.Errorf("build leader-election client: %w", err)
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, leaseNS, leaseName,
		leClient.CoreV1(), leClient.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: cfg.Identity})
	if err != nil {
		return fmt.Errorf("build lease lock: %w", err)
	}
	term := &leadershipTerm{}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   leaseDuration,
		RenewDeadline:   renewDeadline,
		RetryPeriod:     retryPeriod,
		ReleaseOnCancel: true,
		Name:            leaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				term.run(func() error {
					s, err := New(cfg)
					if err != nil {
						return err
					}
					return s.Run(lctx)
				})
			},
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		return fmt.Errorf("build leader elector: %w", err)
	}
	le.Run(ctx)
	runErr := term.end()
	if ctx.Err() != nil {
		return nil
	}
	if runErr != nil {
		return runErr
	}
	return errLeadershipLost
}

// leadershipTerm lets runLeaderElected wait for the scheduler the elector
// starts on a goroutine of its own, even if that goroutine starts late.
type leadershipTerm struct {
	mu    sync.Mutex
	ended bool
	wg    sync.WaitGroup
	err   error
}

// run runs f unless the term already ended, and records its error.
func (t *leadershipTerm) run(f func() error) {
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
func (t *leadershipTerm) end() error {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}
