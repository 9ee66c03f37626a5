package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	"sigs.k8s.io/knftables"
)

// DefaultTable is the nftables table (family ip) the proxy owns when
// Options.Table is empty.
const DefaultTable = "capstan-proxy"

// Options configures Run.
type Options struct {
	// Client reads Services and EndpointSlices. Required.
	Client kubernetes.Interface
	// NodeName is this node's name, for traffic policies Local.
	NodeName string
	// NodeIPs are the addresses node ports answer on (IPv4 ones are used).
	NodeIPs []net.IP
	// Log receives sync errors and progress; nil discards.
	Log *slog.Logger
	// ClusterCIDR is the pod network ("10.244.0.0/16"); ClusterIP traffic
	// from outside it is masqueraded. Empty: ClusterIP traffic is not
	// masqueraded (hairpin and external traffic still are).
	ClusterCIDR string
	// MinSyncPeriod is the least time between two syncs; changes arriving
	// sooner are batched into the next one. Zero means one second.
	MinSyncPeriod time.Duration
	// Table is the name of the proxy's table; empty means DefaultTable.
	Table string

	// NFT overrides how the table is programmed (tests use
	// knftables.NewFake); nil means nf_tables netlink messages sent
	// directly, for family ip and Table.
	NFT knftables.Interface
	// NFT6 overrides how the ip6 table of a dual-stack pod network (an
	// IPv6 member in ClusterCIDR) is programmed; nil means the nft command
	// for family ip6 and Table. Without an IPv6 pod network there is no
	// ip6 table.
	NFT6 knftables.Interface
	// Clock overrides the clock of the sync loop; nil means the real clock.
	Clock clock.Clock
}

// Run programs the node's service rules until ctx ends, then removes the
// table and returns. It returns an error only when it cannot start (bad
// options, no nf_tables in the kernel, caches that never sync) or cannot
// remove the table; a failed sync is logged and retried after
// MinSyncPeriod.
//
// Syncs happen on the goroutine that called Run, so a caller that locked its
// thread into a network namespace programs that namespace.
func Run(ctx context.Context, opts Options) error {
	p, err := newProxier(opts)
	if err != nil {
		return err
	}
	if opts.NFT == nil {
		if err := probe(); err != nil {
			return fmt.Errorf("service proxy: %w", err)
		}
	}
	factory := informers.NewSharedInformerFactory(opts.Client, 0)
	svcInformer := factory.Core().V1().Services()
	sliceInformer := factory.Discovery().V1().EndpointSlices()
	changed := make(chan struct{}, 1)
	notify := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { signal(changed) },
		UpdateFunc: func(any, any) { signal(changed) },
		DeleteFunc: func(any) { signal(changed) },
	}
	if _, err := svcInformer.Informer().AddEventHandler(notify); err != nil {
		return fmt.Errorf("watch services: %w", err)
	}
	if _, err := sliceInformer.Informer().AddEventHandler(notify); err != nil {
		return fmt.Errorf("watch endpointslices: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok && ctx.Err() == nil {
			return fmt.Errorf("sync informer cache for %v", typ)
		}
	}
	if ctx.Err() == nil {
		p.loop(ctx, changed, func(ctx context.Context) error {
			svcs, err := svcInformer.Lister().List(labels.Everything())
			if err != nil {
				return fmt.Errorf("list services: %w", err)
			}
			slices, err := sliceInformer.Lister().List(labels.Everything())
			if err != nil {
				return fmt.Errorf("list endpointslices: %w", err)
			}
			err = p.syncer.sync(ctx, p.gen.rules(svcs, slices))
			if p.v6 == nil {
				return err
			}
			return errors.Join(err, p.v6.sync(ctx, svcs, slices))
		})
	}
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = p.tables.deleteTable(cleanup)
	if p.v6 != nil {
		err = errors.Join(err, p.v6.tables.deleteTable(cleanup))
	}
	if nl, ok := p.tables.(*netlinkTables); ok {
		if cerr := nl.close(); cerr != nil && err == nil {
			err = fmt.Errorf("close nftables socket: %w", cerr)
		}
	}
	if err != nil {
		return err
	}
	p.log.Info("service proxy stopped, table removed")
	return nil
}

// proxier is the state of one Run: its settings and its nftables handle.
type proxier struct {
	cfg     Config
	tables  tables
	log     *slog.Logger
	clock   clock.Clock
	minSync time.Duration
	table   string
	syncer  *syncer
	gen     *generator
	v6      *ipv6Side // nil unless the pod network has an IPv6 CIDR
}

func newProxier(opts Options) (*proxier, error) {
	if opts.Client == nil {
		return nil, errors.New("service proxy: no API client")
	}
	p := &proxier{
		cfg:     Config{NodeName: opts.NodeName, NodeIPs: opts.NodeIPs},
		log:     opts.Log,
		clock:   opts.Clock,
		minSync: opts.MinSyncPeriod,
		table:   opts.Table,
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.clock == nil {
		p.clock = clock.RealClock{}
	}
	if p.minSync <= 0 {
		p.minSync = time.Second
	}
	if p.table == "" {
		p.table = DefaultTable
	}
	var cidr6 *net.IPNet
	if opts.ClusterCIDR != "" {
		v4, v6, err := splitClusterCIDR(opts.ClusterCIDR)
		if err != nil {
			return nil, fmt.Errorf("service proxy: cluster CIDR: %w", err)
		}
		p.cfg.ClusterCIDR = v4
		if v6 != nil {
			cidr6 = v6
		}
	}
	if opts.NFT != nil {
		p.tables = knftablesTables{nft: opts.NFT}
	} else {
		p.tables = newNetlinkTables(p.table)
	}
	p.log = p.log.With("table", p.table)
	p.syncer = newSyncer(p.tables)
	p.gen = newGenerator(p.cfg)
	if cidr6 != nil {
		nft6 := opts.NFT6
		if nft6 == nil {
			var err error
			if nft6, err = knftables.New(knftables.IPv6Family, p.table); err != nil {
				return nil, fmt.Errorf("service proxy: ip6 table: %w", err)
			}
		}
		p.v6 = newIPv6Side(Config{NodeName: opts.NodeName, NodeIPs: opts.NodeIPs, ClusterCIDR: cidr6, IPv6: true}, nft6)
	}
	return p, nil
}

// signal marks that something changed, without blocking.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// loop runs sync once at the start and again after every change, never
// twice within minSync; a failed sync is retried after minSync. It returns
// when ctx ends.
func (p *proxier) loop(ctx context.Context, changed <-chan struct{}, sync func(context.Context) error) {
	var timer clock.Timer
	stopTimer := func() {
		if timer != nil {
			timer.Stop()
			timer = nil
		}
	}
	defer stopTimer()
	dirty := true
	var last time.Time
	for {
		stopTimer()
		if dirty {
			wait := p.minSync - p.clock.Since(last)
			if last.IsZero() || wait <= 0 {
				// The sync reads the latest state, which covers any change
				// signalled before it starts.
				drain(changed)
				start := p.clock.Now()
				err := sync(ctx)
				last = p.clock.Now()
				dirty = err != nil
				if err != nil && ctx.Err() == nil {
					p.log.Error("service proxy sync failed, will retry", "err", err)
				} else {
					p.log.Debug("service proxy synced", "took", last.Sub(start))
				}
				wait = p.minSync
			}
			if dirty {
				timer = p.clock.NewTimer(wait)
			}
		}
		var wake <-chan time.Time
		if timer != nil {
			wake = timer.C()
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
			dirty = true
		case <-wake:
			timer = nil
		}
	}
}

// drain consumes a pending signal, if any.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}
