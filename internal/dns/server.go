package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// DefaultResolvConf is where upstream resolvers are read from when Options
// names none.
const DefaultResolvConf = "/etc/resolv.conf"

// Options configures the cluster DNS server.
type Options struct {
	// Client reads Services and EndpointSlices. Required.
	Client kubernetes.Interface
	// Listen is the UDP and TCP address, e.g. "10.43.0.10:53" or
	// "127.0.0.1:0" (one free port for both). Required.
	Listen string
	// Domain is the cluster domain; "" means "cluster.local".
	Domain string
	// Upstreams are the resolvers for names outside the cluster domain
	// ("host" or "host:port"); empty means the nameservers of ResolvConf.
	Upstreams []string
	// ResolvConf is read when Upstreams is empty; "" means /etc/resolv.conf.
	ResolvConf string
	// ForwardTimeout bounds one upstream attempt; 0 means 2s.
	ForwardTimeout time.Duration
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger
}

// Server is a bound, not yet serving, cluster DNS server.
type Server struct {
	opts Options
	log  *slog.Logger
	udp  net.PacketConn
	tcp  net.Listener
	fwd  *Forwarder
}

// Run serves cluster DNS over UDP and TCP until ctx ends, then returns nil;
// it returns an error when the sockets cannot be bound or serving fails.
func Run(ctx context.Context, opts Options) error {
	s, err := Listen(ctx, opts)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Listen validates opts, resolves the upstreams and binds the UDP and TCP
// sockets. The caller must call Serve, which closes them.
func Listen(ctx context.Context, opts Options) (*Server, error) {
	if opts.Client == nil {
		return nil, errors.New("dns: no API client")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	ups := opts.Upstreams
	if len(ups) == 0 {
		path := opts.ResolvConf
		if path == "" {
			path = DefaultResolvConf
		}
		var err error
		if ups, err = UpstreamsFromResolvConf(path); err != nil {
			return nil, fmt.Errorf("dns: %w", err)
		}
	}
	s := &Server{opts: opts, log: opts.Log}
	ups = withoutSelf(ups, opts.Listen, s.log)
	if len(ups) > 0 {
		fwd, err := NewForwarder(ForwarderOptions{Upstreams: ups, Timeout: opts.ForwardTimeout})
		if err != nil {
			return nil, fmt.Errorf("dns: %w", err)
		}
		s.fwd = fwd
	} else {
		s.log.Warn("no upstream resolvers; names outside the cluster domain will fail")
	}
	if err := s.bind(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// bind opens the UDP socket, then TCP on the same port. With port 0 it
// tries a few UDP ports until the same TCP port is free too.
func (s *Server) bind(ctx context.Context) error {
	host, port, err := net.SplitHostPort(s.opts.Listen)
	if err != nil {
		return fmt.Errorf("dns: listen address %q: %w", s.opts.Listen, err)
	}
	attempts := 1
	if port == "0" {
		attempts = 20
	}
	for i := 1; ; i++ {
		s.udp, s.tcp, err = bindPair(ctx, host, port)
		if err == nil || i == attempts {
			return err
		}
	}
}

// bindPair listens on host:port over UDP, then over TCP on the port UDP got.
func bindPair(ctx context.Context, host, port string) (net.PacketConn, net.Listener, error) {
	var lc net.ListenConfig
	udp, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, nil, fmt.Errorf("dns: listen udp %s: %w", net.JoinHostPort(host, port), err)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port))
	tcp, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		udp.Close()
		return nil, nil, fmt.Errorf("dns: listen tcp %s: %w", addr, err)
	}
	return udp, tcp, nil
}

// Addr returns the bound address ("host:port", the same for UDP and TCP).
func (s *Server) Addr() string { return s.udp.LocalAddr().String() }

// Serve starts the Service and EndpointSlice informers and answers queries
// until ctx ends. Names in the cluster domain get SERVFAIL until the
// informers have synced; forwarding works at once.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	factory := informers.NewSharedInformerFactory(s.opts.Client, 0)
	svcInf := factory.Core().V1().Services().Informer()
	esInf := factory.Discovery().V1().EndpointSlices().Informer()
	for inf, idx := range map[cache.SharedIndexInformer]cache.Indexers{svcInf: ServiceIndexers(), esInf: EndpointSliceIndexers()} {
		if err := addMissingIndexers(inf, idx); err != nil {
			s.udp.Close()
			s.tcp.Close()
			return fmt.Errorf("dns: %w", err)
		}
	}
	var synced atomic.Bool
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), svcInf.HasSynced, esInf.HasSynced) {
			synced.Store(true)
			s.log.Info("cluster DNS caches synced")
		}
	}()
	catalog := IndexerCatalog{ServiceCache: svcInf.GetIndexer(), EndpointSliceCache: esInf.GetIndexer()}
	zone := NewZone(s.opts.Domain, catalog, uint32(time.Now().Unix()))
	var up Exchanger
	if s.fwd != nil {
		up = s.fwd
	}
	handler := NewResolver(zone, up, synced.Load, s.log).Handler(ctx)
	servers := []*mdns.Server{
		{PacketConn: s.udp, Handler: handler, UDPSize: 4096},
		{Listener: s.tcp, Handler: handler},
	}
	s.log.Info("cluster DNS serving", "addr", s.Addr(), "domain", zone.Domain())
	return serveAll(ctx, servers)
}

// serveAll runs the servers until ctx ends or one fails, then shuts all
// down and returns the first serving error.
func serveAll(ctx context.Context, servers []*mdns.Server) error {
	errc := make(chan error, len(servers))
	var started sync.WaitGroup
	for _, srv := range servers {
		started.Add(1)
		var once sync.Once
		srv.NotifyStartedFunc = func() { once.Do(started.Done) }
		go func() {
			err := srv.ActivateAndServe()
			once.Do(started.Done)
			errc <- err
		}()
	}
	started.Wait()
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
		first = fmt.Errorf("dns: serve: %w", first)
		errc <- nil // keep the count of pending results right
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.ShutdownContext(shutdownCtx)
	}
	for range servers {
		<-errc
	}
	return first
}

// addMissingIndexers adds the indexers the informer does not have yet.
func addMissingIndexers(inf cache.SharedIndexInformer, want cache.Indexers) error {
	have := inf.GetIndexer().GetIndexers()
	add := cache.Indexers{}
	for name, fn := range want {
		if _, ok := have[name]; !ok {
			add[name] = fn
		}
	}
	if err := inf.AddIndexers(add); err != nil {
		return fmt.Errorf("add indexers: %w", err)
	}
	return nil
}

// UpstreamsFromResolvConf returns the nameservers of a resolv.conf file as
// "host:port" addresses.
func UpstreamsFromResolvConf(path string) ([]string, error) {
	cfg, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read resolvers from %s: %w", path, err)
	}
	out := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, cfg.Port))
	}
	return out, nil
}

// withoutSelf drops upstreams equal to the listen address: forwarding to
// ourselves (a node whose resolv.conf names the cluster DNS) would loop.
func withoutSelf(ups []string, listen string, log *slog.Logger) []string {
	var out []string
	for _, u := range ups {
		if addr, err := upstreamAddr(u); err == nil && addr == listen {
			log.Warn("ignoring upstream resolver that is this server", "upstream", u)
			continue
		}
		out = append(out, u)
	}
	return out
}
