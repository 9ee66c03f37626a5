package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/agent"
	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/controller/manager"
	"github.com/capstan/capstan/internal/dns"
	"github.com/capstan/capstan/internal/etcd"
	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/internal/scheduler"
	schedprofile "github.com/capstan/capstan/internal/scheduler/profile"
	"github.com/capstan/capstan/internal/storage"
)

// Config is the configuration of `capstan server`.
type Config struct {
	DataDir     string
	BindAddress string
	HTTPSPort   int
	// EtcdServers are external etcd endpoints; empty runs embedded etcd.
	EtcdServers []string
	// ServiceCIDR is the ClusterIP range (default 10.43.0.0/16).
	ServiceCIDR string
	// ClusterCIDR is the pod network; each node gets a /24 of it (default
	// 10.42.0.0/16).
	ClusterCIDR string
	// DisableAgent runs the control plane only; otherwise Agent (its
	// DataDir defaulting to <DataDir>/agent, its credentials issued here)
	// runs this machine's node.
	DisableAgent bool
	Agent        agent.Config
	// DefaultNotReadyTolerationSeconds and DefaultUnreachableTolerationSeconds
	// are the tolerationSeconds admission gives pods (0: 300).
	DefaultNotReadyTolerationSeconds, DefaultUnreachableTolerationSeconds int64
	// SchedulerConfig is a KubeSchedulerConfiguration file for the
	// scheduler's profiles; empty runs the default profile.
	SchedulerConfig string
	// DNSPort is where the cluster DNS listens on the advertise address
	// (default 10053); the kube-dns Service (the 10th address of the
	// service range) forwards to it.
	DNSPort int
	// ServiceAccountIssuer is the iss of ServiceAccount tokens and the API
	// audience (default https://kubernetes.default.svc.cluster.local).
	ServiceAccountIssuer string
	// Auth adds OIDC, token webhook, ABAC and webhook authorization (authopts.go).
	Auth AuthOptions
	Log  *slog.Logger

	// EncAudit adds encryption at rest and the audit log (encaudit.go).
	EncAudit EncAuditOptions
	// ServiceLB configures the built-in load balancer (servicelb.go).
	ServiceLB ServiceLBOptions
}

// Version is what the server reports at /version.
func Version() version.Info {
	return version.Info{
		Major: "1", Minor: "33", GitVersion: "v1.33.0+capstan", GitCommit: "capstan", GitTreeState: "clean",
		BuildDate: "2026-11-27T00:00:00Z", GoVersion: goVersion(), Compiler: "gc", Platform: platform(),
	}
}

// Running is a started control plane.
type Running struct {
	// Kubeconfig is the admin kubeconfig path.
	Kubeconfig string
	// URL is the API server's HTTPS address.
	URL string
	// Loopback is the server's own system:masters client configuration
	// (bootstrap steps); components run under their own identities.
	Loopback *rest.Config
	done     chan error
}

// Wait blocks until the server has stopped and returns why.
func (r *Running) Wait() error { return <-r.done }

// Start brings up etcd, the PKI and the API server, and returns once the API
// serves. Everything stops when ctx is cancelled; Wait reports the end.
func Start(ctx context.Context, cfg Config) (*Running, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	var profiles []scheduler.ProfileConfig
	if cfg.SchedulerConfig != "" {
		p, err := schedprofile.LoadFile(cfg.SchedulerConfig)
		if err != nil {
			return nil, err
		}
		profiles = p
	}
	lbPool, err := cfg.ServiceLB.pool()
	if err != nil {
		return nil, err
	}
	serviceCIDR, serviceCIDR2, err := parseCIDRPair("--service-cidr", cfg.ServiceCIDR)
	if err != nil {
		return nil, err
	}
	if cfg.ClusterCIDR == "" {
		cfg.ClusterCIDR = "10.42.0.0/16"
	}
	clusterCIDR, clusterCIDR2, err := parseCIDRPair("--cluster-cidr", cfg.ClusterCIDR)
	if err != nil {
		return nil, err
	}
	auth, err := buildAuth(cfg.Auth, log)
	if err != nil {
		return nil, err
	}
	encAudit, err := loadEncAudit(cfg.EncAudit, log.With("component", "audit"))
	if err != nil {
		return nil, err
	}
	client, closeEtcd, err := openEtcd(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	stop := func() { closeEtcd() }
	advertise := advertiseAddress()
	url := "https://" + net.JoinHostPort(loopbackFor(cfg.BindAddress), strconv.Itoa(cfg.HTTPSPort))
	kubeconfig := filepath.Join(cfg.DataDir, pki.AdminKubeconfig)
	certs, err := pki.EnsureCluster(filepath.Join(cfg.DataDir, "pki"), kubeconfig, servingSANs(serviceCIDR, advertise, url), time.Now())
	if err != nil {
		stop()
		return nil, fmt.Errorf("cluster certificates: %w", err)
	}
	tlsCfg := certs.ServerTLS()
	kubeletTLS, err := certs.KubeletClientTLS(time.Now())
	if err != nil {
		stop()
		return nil, err
	}
	loopback, err := loopbackConfig(certs, url)
	if err != nil {
		stop()
		return nil, err
	}
	ids := newIdentities(certs.CA, url)
	cmConfig, err := ids.controllerManager()
	if err != nil {
		stop()
		return nil, err
	}
	schedConfig, err := ids.scheduler()
	if err != nil {
		stop()
		return nil, err
	}
	scheme, err := apis.NewScheme()
	if err != nil {
		stop()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store := storage.New(client, storage.NewProtobufCodec(scheme), "/registry", encAudit.storeOptions(scheme)...)
	etcdMetrics, err := storage.NewMetrics(reg)
	if err != nil {
		stop()
		return nil, err
	}
	store.SetMetrics(etcdMetrics)
	auditLog, closeAudit, err := encAudit.openAudit(reg, log.With("component", "audit"))
	if err != nil {
		stop()
		return nil, err
	}
	stopEtcd := stop
	stop = func() { closeAudit(); stopEtcd() }
	saIssuer, saAuthenticator, err := serviceAccountTokens(cfg, filepath.Join(cfg.DataDir, "pki"), store, advertise, log)
	if err != nil {
		stop()
		return nil, err
	}
	saAuthenticator = tuneServiceAccountAuthn(saAuthenticator, loopback)
	// RBAC and Node authorization, fed by storage watches (upstream's
	// --authorization-mode=Node,RBAC).
	authorizer := authz.New(authz.Config{Source: store, GetObject: store.Get, Log: log.With("component", "authz"), Clock: clock.RealClock{}, After: auth.after})
	var rbacReady atomic.Bool
	if err := authorizer.Start(ctx); err != nil {
		stop()
		return nil, fmt.Errorf("start authorizer: %w", err)
	}
	api, err := apiserver.New(apiserver.Config{
		Store: store, Authorizer: authorizer,
		Log: log.With("component", "apiserver"), Clock: clock.RealClock{},
		Registerer: reg, Gatherer: reg, ServiceCIDR: serviceCIDR, Version: Version(),
		AdvertiseAddress: advertise, Port: cfg.HTTPSPort, KubeletClientTLS: kubeletTLS,
		ServiceAccountIssuer: saIssuer, TokenAuthenticators: append([]apiserver.TokenAuthenticator{saAuthenticator}, auth.tokens...),
		DefaultNotReadyTolerationSeconds: cfg.DefaultNotReadyTolerationSeconds, DefaultUnreachableTolerationSeconds: cfg.DefaultUnreachableTolerationSeconds,
		ReadyHooks: []apiserver.ReadyHook{{Name: "rbac/bootstrap-roles", Check: func(context.Context) error {
			if !rbacReady.Load() {
				return errors.New("default RBAC roles and bindings not reconciled yet")
			}
			return nil
		}}},
		Audit: auditLog,
		// Dual-stack Services when --service-cidr names two ranges.
		SecondaryServiceCIDR: serviceCIDR2,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("build API server: %w", err)
	}
	if err := api.Start(ctx); err != nil {
		stop()
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.HTTPSPort)))
	if err != nil {
		stop()
		return nil, fmt.Errorf("listen on %s:%d: %w", cfg.BindAddress, cfg.HTTPSPort, err)
	}
	srv := &http.Server{Handler: api.Handler(), TLSConfig: tlsCfg, ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	r := &Running{Kubeconfig: kubeconfig, URL: url, Loopback: loopback, done: make(chan error, 1)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(tls.NewListener(ln, tlsCfg)) }()
	log.Info("API server listening", "url", url, "kubeconfig", kubeconfig)
	if err := ensureIssuerDiscoveryRole(ctx, kubernetes.NewForConfigOrDie(loopback)); err != nil {
		log.Warn("service account issuer discovery role not created", "err", err)
	}
	if err := reconcileRBAC(ctx, authorizer, loopback); err != nil {
		// /readyz reports poststarthook/rbac/bootstrap-roles failing until
		// a retry succeeds.
		log.Warn("default RBAC roles and bindings not reconciled; retrying", "err", err)
		go retryRBAC(ctx, authorizer, loopback, &rbacReady, log)
	} else {
		rbacReady.Store(true)
	}
	if err := publishClusterInfo(ctx, kubernetes.NewForConfigOrDie(loopback), certs.CA,
		"https://"+net.JoinHostPort(advertise.String(), strconv.Itoa(cfg.HTTPSPort))); err != nil {
		log.Warn("agents cannot join until cluster-info is published", "err", err)
	}
	if err := ensureServiceAccounts(ctx, kubernetes.NewForConfigOrDie(loopback), componentServiceAccounts()); err != nil {
		log.Warn("component service accounts not created", "err", err)
	}
	// The DNS starts once its role exists, so its first lists are not refused.
	if err := startDNS(ctx, cfg, loopback, ids, serviceCIDR, advertise, log.With("component", "dns")); err != nil {
		log.Warn("cluster DNS not started", "err", err)
	}
	cctx, stopControllers := context.WithCancel(ctx)
	controllersDone := make(chan struct{})
	host, _ := os.Hostname()
	identity := host + "_" + string(uuid.NewUUID())
	go func() {
		defer close(controllersDone)
		var wg sync.WaitGroup
		wg.Go(func() {
			cm := manager.Config{RestConfig: cmConfig, ClientConfigFor: ids.serviceAccount, CA: certs.CA, ClusterCIDR: clusterCIDR,
				Log: log.With("component", "controller-manager"), Identity: identity}
			cm.LegacyTokens = saIssuer
			cm.SecondaryClusterCIDR = clusterCIDR2
			cm.ServiceLBPool, cm.DisableServiceLB = lbPool, cfg.ServiceLB.Disable
			runElected(cctx, cm.Log, func(ctx context.Context) error { return manager.Run(ctx, cm) })
		})
		wg.Go(func() {
			sc := scheduler.Config{RestConfig: schedConfig, Log: log.With("component", "scheduler"), Identity: identity,
				Profiles: profiles, LeaderElect: true, Registerer: reg}
			runElected(cctx, sc.Log, func(ctx context.Context) error { return scheduler.Run(ctx, sc) })
		})
		wg.Wait()
	}()
	agentDone, agentErr := make(chan struct{}), make(chan error, 1)
	actx, stopAgent := context.WithCancel(ctx)
	go func() {
		defer close(agentDone)
		if cfg.DisableAgent {
			return
		}
		if err := runAgent(actx, cfg, serviceCIDR, certs.CA, url, kubernetes.NewForConfigOrDie(loopback), log); err != nil {
			agentErr <- fmt.Errorf("node agent: %w", err)
		}
	}()
	go func() {
		var err error
		select {
		case <-ctx.Done():
		case err = <-serveErr:
		case err = <-agentErr:
		}
		// The agent and controllers stop first: they talk to the API to the end.
		stopAgent()
		<-agentDone
		stopControllers()
		<-controllersDone
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			log.Warn("shutdown API server", "err", serr)
		}
		stop()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		log.Info("server stopped")
		r.done <- err
	}()
	return r, nil
}

// runAgent runs this machine's node agent with credentials issued by the
// cluster CA.
func runAgent(ctx context.Context, cfg Config, serviceCIDR *net.IPNet, ca *pki.KeyPair, url string, admin kubernetes.Interface, log *slog.Logger) error {
	ac := cfg.Agent
	if ac.DataDir == "" {
		ac.DataDir = filepath.Join(cfg.DataDir, "agent")
	}
	if ac.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("node name: %w", err)
		}
		ac.NodeName = strings.ToLower(h)
	}
	if ac.NodeIP == "" {
		ip, err := agent.DetectNodeIP(ac.DataDir)
		if err != nil {
			return err
		}
		ac.NodeIP = ip
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(ac.NodeIP)}
	creds, err := agent.LocalCredentials(ca, url, ac.NodeName, ips, time.Now())
	if err != nil {
		return err
	}
	// The server, not the kubelet, labels its node control-plane (NodeRestriction).
	ac.Credentials, ac.ControlPlane, ac.KubeletVersion = creds, false, Version().GitVersion
	go labelControlPlaneNode(ctx, admin, ac.NodeName, time.Second, log)
	if len(ac.ClusterDNS) == 0 {
		ac.ClusterDNS = []string{serviceIP(serviceCIDR, 10).String()}
	}
	if ac.ClusterCIDR == "" {
		ac.ClusterCIDR = cfg.ClusterCIDR
	}
	if ac.Log == nil {
		ac.Log = log
	}
	return agent.Run(ctx, ac)
}

// startDNS serves cluster DNS on the advertise address and points the
// kube-dns Service at it.
func startDNS(ctx context.Context, cfg Config, loopback *rest.Config, ids *identities, serviceCIDR *net.IPNet, advertise net.IP, log *slog.Logger) error {
	if cfg.DNSPort == 0 {
		cfg.DNSPort = 10053
	}
	client := kubernetes.NewForConfigOrDie(loopback)
	// The DNS reads Services and EndpointSlices as CoreDNS's ServiceAccount;
	// the kube-dns Service and Endpoints are written with the loopback.
	dnsConfig, err := ids.serviceAccount(DNSServiceAccount)
	if err != nil {
		return err
	}
	listen := net.JoinHostPort(advertise.String(), strconv.Itoa(cfg.DNSPort))
	srv, err := dns.Listen(ctx, dns.Options{Client: kubernetes.NewForConfigOrDie(dnsConfig), Listen: listen, Log: log})
	if err != nil {
		return err
	}
	go func() {
		if err := srv.Serve(ctx); err != nil {
			log.Error("cluster DNS stopped", "err", err)
		}
	}()
	if err := dns.EnsureService(ctx, client, serviceIP(serviceCIDR, 10).String()); err != nil {
		return err
	}
	log.Info("cluster DNS listening", "addr", srv.Addr())
	return dns.EnsureEndpoints(ctx, client, []string{advertise.String()}, int32(cfg.DNSPort))
}

// runElected runs a leader-elected component until ctx ends, standing for
// election again whenever it stops with an error.
func runElected(ctx context.Context, log *slog.Logger, run func(ctx context.Context) error) {
	for ctx.Err() == nil {
		if err := run(ctx); err != nil {
			log.Warn("stopped; standing for election again", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// loopbackConfig issues an in-memory system:masters client certificate for
// the server's own bootstrap steps (RBAC reconcile before the roles exist,
// cluster-info, the kube-dns Service); components get their own identities
// (identities.go).
func loopbackConfig(certs *pki.Cluster, url string) (*rest.Config, error) {
	return clientConfig(certs.CA, url, pki.LeafSpec{CommonName: "system:apiserver", Organization: []string{"system:masters"}}, time.Now())
}

// openEtcd returns a client to the external cluster or to an embedded member.
func openEtcd(ctx context.Context, cfg Config, log *slog.Logger) (*clientv3.Client, func(), error) {
	if len(cfg.EtcdServers) > 0 {
		c, err := etcd.Dial(ctx, cfg.EtcdServers)
		if err != nil {
			return nil, nil, err
		}
		log.Info("using external etcd", "endpoints", cfg.EtcdServers)
		return c, func() { c.Close() }, nil
	}
	e, err := etcd.StartEmbedded(ctx, filepath.Join(cfg.DataDir, "etcd"), log.With("component", "etcd"))
	if err != nil {
		return nil, nil, err
	}
	c, err := e.Client(ctx)
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); e.Close() }, nil
}

// reconcileRBAC writes the default roles and bindings and waits (10s at
// most) until the authorizer sees them, so joining agents are not refused.
func reconcileRBAC(ctx context.Context, authorizer *authz.Chain, loopback *rest.Config) error {
	policy := authz.DefaultPolicy()
	if err := authz.ReconcileDefaults(ctx, kubernetes.NewForConfigOrDie(loopback), policy); err != nil {
		return err
	}
	if err := authz.DeleteRetired(ctx, kubernetes.NewForConfigOrDie(loopback)); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return authorizer.WaitFor(wctx, policy)
}

// retryRBAC reconciles the default policy every 5s until it succeeds.
func retryRBAC(ctx context.Context, authorizer *authz.Chain, loopback *rest.Config, ready *atomic.Bool, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
		if err := reconcileRBAC(ctx, authorizer, loopback); err != nil {
			log.Warn("default RBAC roles and bindings not reconciled; retrying", "err", err)
			continue
		}
		ready.Store(true)
		return
	}
}
