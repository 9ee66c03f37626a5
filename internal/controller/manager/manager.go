package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"

	"github.com/capstan/capstan/internal/pki"
)

// Config configures the controller manager.
type Config struct {
	RestConfig *rest.Config
	Log        *slog.Logger
	Identity   string // leader-election holder identity, e.g. hostname + "_" + random
	// CA signs approved certificate signing requests; nil runs no signer.
	CA *pki.KeyPair
	// ClusterCIDR is where nodes' pod CIDRs come from (default
	// 10.42.0.0/16), NodeCIDRMaskSize their size (default 24).
	ClusterCIDR      *net.IPNet
	NodeCIDRMaskSize int
}

// Leader election timings, as upstream's defaults.
const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
	leaseName     = "kube-controller-manager"
	leaseNS       = "kube-system"
)

// errLeadershipLost is returned when this manager stops being the leader
// while its context is still live; the supervisor decides what follows.
var errLeadershipLost = errors.New("leader election lost")

// Run runs all controllers until ctx ends, under leader election on the Lease
// kube-system/kube-controller-manager (client-go leaderelection, LeaseLock;
// lease 15s, renew 10s, retry 2s as upstream). Returns when ctx is done.
func Run(ctx context.Context, cfg Config) error {
	return run(ctx, cfg, inTree)
}

func run(ctx context.Context, cfg Config, reg registry) error {
	if cfg.Identity == "" {
		return errors.New("controller manager: empty leader-election identity")
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
				cfg.Log.Info("started leading", "identity", cfg.Identity)
				term.run(func() error { return runControllers(lctx, cfg, reg) })
			},
			OnStoppedLeading: func() { cfg.Log.Info("stopped leading", "identity", cfg.Identity) },
			OnNewLeader:      func(id string) { cfg.Log.Info("leader observed", "leader", id) },
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

// leadershipTerm lets run wait for the controllers that the elector starts
// in a goroutine of its own, so Run never returns while they still work.
type leadershipTerm struct {
	mu    sync.Mutex
	ended bool
	wg    sync.WaitGroup
	err   error
}

// run runs f unless the term already ended.
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

// end marks the term over, waits for f and returns its error.
func (t *leadershipTerm) end() error {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// runControllers builds the controllers of one leadership term, starts the
// informers and blocks until ctx ends and every controller has returned.
func runControllers(ctx context.Context, cfg Config, reg registry) error {
	client, err := kubernetes.NewForConfig(cfg.RestConfig)
	if err != nil {
		return fmt.Errorf("build client: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg.RestConfig)
	if err != nil {
		return fmt.Errorf("build metadata client: %w", err)
	}
	cc := controllerContext{
		Log:               cfg.Log,
		Client:            client,
		Metadata:          meta,
		Discovery:         client.Discovery(),
		Informers:         informers.NewSharedInformerFactory(client, 0),
		MetadataInformers: metadatainformer.NewSharedInformerFactory(meta, 0),
		CA:                cfg.CA,
		ClusterCIDR:       cfg.ClusterCIDR,
		NodeCIDRMaskSize:  cfg.NodeCIDRMaskSize,
	}
	if cc.ClusterCIDR == nil {
		_, cc.ClusterCIDR, _ = net.ParseCIDR("10.42.0.0/16")
	}
	if cc.NodeCIDRMaskSize == 0 {
		cc.NodeCIDRMaskSize = 24
	}
	events := record.NewBroadcaster(record.WithContext(ctx))
	defer events.Shutdown()
	events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	cc.Recorder = func(component string) record.EventRecorder {
		return events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component})
	}
	ctrls, err := reg(cc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cc.Informers.Start(ctx.Done())
	var wg sync.WaitGroup
	errs := make([]error, len(ctrls))
	for i, c := range ctrls {
		wg.Go(func() {
			if err := c.run(ctx); err != nil {
				errs[i] = fmt.Errorf("controller %s: %w", c.name, err)
				cfg.Log.Error("controller failed", "controller", c.name, "err", err)
				cancel()
			}
		})
	}
	wg.Wait()
	cc.Informers.Shutdown()
	cc.MetadataInformers.Shutdown()
	return errors.Join(errs...)
}
