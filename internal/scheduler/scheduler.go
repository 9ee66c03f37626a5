package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/capstan/capstan/internal/leaderelect"
	schedcache "github.com/capstan/capstan/internal/scheduler/cache"
	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/profile"
	"github.com/capstan/capstan/internal/scheduler/queue"
)

// ProfileConfig is the scheduling profile: plugins, weights, arguments.
type ProfileConfig = profile.Config

// DefaultProfile returns upstream's default profile.
func DefaultProfile() ProfileConfig { return profile.Default() }

// Config configures the scheduler.
type Config struct {
	RestConfig *rest.Config
	Log        *slog.Logger
	// Identity is the leader-election holder identity.
	Identity string
	// Profiles are the scheduling profiles, one per spec.schedulerName
	// served (names must differ); nil means [DefaultProfile()]. A profile
	// without a SchedulerName serves default-scheduler. Pods naming no
	// profile are left to other schedulers.
	Profiles []ProfileConfig
	// LeaderElect runs under the Lease kube-system/kube-scheduler
	// (15s/10s/2s as upstream); false schedules right away.
	LeaderElect bool
	// Clock drives backoff and flush timers; nil is the real clock.
	Clock clock.WithTicker
	// MaxConcurrentBinds bounds in-flight bind calls; 0 means 32.
	MaxConcurrentBinds int
	// EventsQPS rate-limits event writes (burst twice as much); 0 means 50,
	// upstream's client default. client-go writes each event on a goroutine
	// of its own, so without a limit a burst of pods floods the API server
	// with event writes and slows the binds down.
	EventsQPS float32
	// Registerer receives the scheduler's metrics (upstream's names:
	// scheduler_schedule_attempts_total, scheduler_pending_pods, ...); nil
	// exports none. Later leadership terms reuse what the first registered.
	Registerer prometheus.Registerer
}

// Run schedules until ctx ends, under leader election when cfg.LeaderElect.
func Run(ctx context.Context, cfg Config) error {
	if !cfg.LeaderElect {
		s, err := New(cfg)
		if err != nil {
			return err
		}
		return s.Run(ctx)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	le := leaderelect.Config{RestConfig: cfg.RestConfig, Lease: "kube-scheduler", Identity: cfg.Identity, Log: log}
	return leaderelect.Run(ctx, le, func(ctx context.Context) error {
		s, err := New(cfg)
		if err != nil {
			return err
		}
		return s.Run(ctx)
	})
}

// Scheduler is one running scheduler (one leadership term).
type Scheduler struct {
	log         *slog.Logger
	client      kubernetes.Interface
	informers   informers.SharedInformerFactory
	cache       *schedcache.Cache
	queue       *queue.Queue
	nominator   *framework.Nominator
	profiles    profiles
	broadcaster events.EventBroadcaster
	bindSlots   chan struct{}
	// bindCall posts a Binding; tests wrap it to inject failures.
	bindCall func(ctx context.Context, b *v1.Binding) error
	async    sync.WaitGroup
	bound    atomic.Int64
	metrics  *metrics
}

// Bound returns how many binds this scheduler completed.
func (s *Scheduler) Bound() int64 { return s.bound.Load() }

// QueuedWhere tells which sub-queue holds the pod namespace/name: "active",
// "backoff", "unschedulable", "inflight", or "" if the queue does not hold it.
func (s *Scheduler) QueuedWhere(key string) string { return s.queue.Where(key) }

// New builds a scheduler; nothing runs until Run.
func New(cfg Config) (*Scheduler, error) {
	if cfg.RestConfig == nil {
		return nil, errors.New("scheduler: no RestConfig")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.MaxConcurrentBinds <= 0 {
		cfg.MaxConcurrentBinds = 32
	}
	if cfg.EventsQPS <= 0 {
		cfg.EventsQPS = 50
	}
	restConfig := rest.CopyConfig(cfg.RestConfig)
	if restConfig.ContentType == "" {
		// As upstream's componentconfig default: protobuf, JSON accepted.
		restConfig.ContentType = "application/vnd.kubernetes.protobuf"
		restConfig.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, fmt.Errorf("build client: %w", err)
	}
	evConfig := rest.CopyConfig(restConfig)
	evConfig.QPS, evConfig.Burst, evConfig.RateLimiter = cfg.EventsQPS, int(2*cfg.EventsQPS), nil
	evClient, err := kubernetes.NewForConfig(evConfig)
	if err != nil {
		return nil, fmt.Errorf("build events client: %w", err)
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: evClient.EventsV1()})
	factory := informers.NewSharedInformerFactory(client, 0)
	nominator := framework.NewNominator()
	q := queue.New(queue.Options{Clock: cfg.Clock})
	m, err := newMetrics(cfg.Registerer, q)
	if err != nil {
		return nil, err
	}
	profs, err := buildProfiles(cfg.Profiles, profileDeps{client: client, broadcaster: b, factory: factory,
		nominator: nominator, metrics: m, log: cfg.Log})
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		log:         cfg.Log,
		client:      client,
		informers:   factory,
		cache:       schedcache.New(),
		queue:       q,
		metrics:     m,
		nominator:   nominator,
		profiles:    profs,
		broadcaster: b,
		bindSlots:   make(chan struct{}, cfg.MaxConcurrentBinds),
	}
	s.bindCall = func(ctx context.Context, b *v1.Binding) error {
		return client.CoreV1().Pods(b.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	}
	return s, nil
}

// Run starts the informers, waits for their caches, and schedules until ctx
// ends; it returns after every bind and status write it started.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		return fmt.Errorf("start event recording: %w", err)
	}
	defer s.broadcaster.Shutdown()
	handlersSynced, err := s.addHandlers()
	if err != nil {
		return err
	}
	s.informers.Start(ctx.Done())
	defer s.informers.Shutdown()
	for typ, ok := range s.informers.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("sync informer cache for %v", typ)
		}
	}
	// The caches being synced does not mean the handlers have seen every
	// node yet; without this a first pod can meet an empty node cache.
	if !cache.WaitForCacheSync(ctx.Done(), handlersSynced...) {
		return nil
	}
	s.log.Info("scheduler started", "profiles", s.profiles.names())
	var wg sync.WaitGroup
	wg.Go(func() { s.queue.Run(ctx) })
	for ctx.Err() == nil {
		if err := s.scheduleOne(ctx); err != nil {
			if errors.Is(err, queue.ErrClosed) || ctx.Err() != nil {
				break
			}
			s.log.Error("scheduling loop", "err", err)
		}
	}
	s.queue.Close()
	wg.Wait()
	s.async.Wait()
	return nil
}

// scheduleOne pops one pod, decides, assumes and starts the bind.
func (s *Scheduler) scheduleOne(ctx context.Context) error {
	qp, err := s.queue.Pop(ctx)
	if err != nil {
		return err
	}
	pod := qp.Pod
	if pod.DeletionTimestamp != nil || pod.Spec.NodeName != "" || s.cache.IsAssumed(pod) {
		s.queue.Done(qp)
		return nil
	}
	prof := s.profiles[pod.Spec.SchedulerName]
	if prof == nil {
		// The handlers queue only pods of a profile; a pod can change
		// hands only by being recreated.
		s.queue.Done(qp)
		return nil
	}
	start := time.Now()
	res, err := prof.algo.Schedule(ctx, pod, s.cache.Snapshot())
	if err != nil {
		s.fail(ctx, qp, err, start)
		return nil
	}
	assumed := *pod // shallow: only spec.nodeName differs, the rest is shared read-only
	assumed.Spec.NodeName = res.Node
	if err := s.assume(&assumed, res.PodInfo); err != nil {
		s.fail(ctx, qp, err, start)
		return nil
	}
	if s.log.Enabled(ctx, slog.LevelDebug) { // the attributes cost allocations
		s.log.Debug("pod assumed", "pod", qp.Key(), "node", res.Node, "evaluated", res.Evaluated,
			"feasible", res.Feasible, "took", time.Since(start))
	}
	s.async.Add(1)
	go s.bind(ctx, qp, &assumed, start)
	return nil
}

// assume counts the pod in the cache, reusing the PodInfo the cycle
// computed for the unassumed pod when there is one.
func (s *Scheduler) assume(assumed *v1.Pod, pi *framework.PodInfo) error {
	if pi == nil {
		return s.cache.AssumePod(assumed)
	}
	return s.cache.AssumePodInfo(pi.WithPod(assumed))
}
