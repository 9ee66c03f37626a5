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
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/audit"
	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
	"github.com/capstan/capstan/internal/controller/manager"
	"github.com/capstan/capstan/internal/controller/servicelb"
	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/internal/scheduler"
	schedprofile "github.com/capstan/capstan/internal/scheduler/profile"
	"github.com/capstan/capstan/internal/storage"
)

// boot is Start's working state, filled phase by phase: options, storage,
// credentials, API server, serving, bootstrap objects, then the
// components. cleanups undo what a failed start had begun, newest first.
type boot struct {
	cfg      Config
	log      *slog.Logger
	cleanups []func()

	// From options.
	profiles                  []scheduler.ProfileConfig
	lbPool                    []servicelb.AddrRange
	serviceCIDR, serviceCIDR2 *net.IPNet
	clusterCIDR, clusterCIDR2 *net.IPNet
	auth                      authPlugins
	encAudit                  *encAudit
	// From openStorage and credentials.
	etcd                  *clientv3.Client
	advertise             net.IP
	url, kubeconfig       string
	certs                 *pki.Cluster
	loopback              *rest.Config
	ids                   *identities
	cmConfig, schedConfig *rest.Config
	kubeletTLS            *tls.Config
	// From buildAPI and serve.
	reg        *prometheus.Registry
	store      *storage.Store
	auditLog   *audit.Logger
	saIssuer   *serviceaccount.Issuer
	authorizer *authz.Chain
	rbacReady  atomic.Bool
	api        *apiserver.Server
	srv        *http.Server
	serveErr   chan error
}

// undo runs the cleanups of a start that failed half way.
func (b *boot) undo() {
	for _, f := range slices.Backward(b.cleanups) {
		f()
	}
}

// options reads and checks every flag and file.
func (b *boot) options() error {
	var err error
	if b.cfg.SchedulerConfig != "" {
		if b.profiles, err = schedprofile.LoadFile(b.cfg.SchedulerConfig); err != nil {
			return err
		}
	}
	if b.lbPool, err = b.cfg.ServiceLB.pool(); err != nil {
		return err
	}
	if b.serviceCIDR, b.serviceCIDR2, err = parseCIDRPair("--service-cidr", b.cfg.ServiceCIDR); err != nil {
		return err
	}
	if b.cfg.ClusterCIDR == "" {
		b.cfg.ClusterCIDR = "10.42.0.0/16"
	}
	if b.clusterCIDR, b.clusterCIDR2, err = parseCIDRPair("--cluster-cidr", b.cfg.ClusterCIDR); err != nil {
		return err
	}
	if b.auth, err = buildAuth(b.cfg.Auth, b.log); err != nil {
		return err
	}
	b.encAudit, err = loadEncAudit(b.cfg.EncAudit, b.log.With("component", "audit"))
	return err
}

// openStorage starts (or connects to) etcd.
func (b *boot) openStorage(ctx context.Context) error {
	client, closeEtcd, err := openEtcd(ctx, b.cfg, b.log)
	if err != nil {
		return err
	}
	b.etcd = client
	b.cleanups = append(b.cleanups, closeEtcd)
	return nil
}

// credentials makes or loads the CA and the server's certificates and
// issues the in-process components' client identities.
func (b *boot) credentials(context.Context) error {
	b.advertise = advertiseAddress()
	b.url = "https://" + net.JoinHostPort(loopbackFor(b.cfg.BindAddress), strconv.Itoa(b.cfg.HTTPSPort))
	b.kubeconfig = filepath.Join(b.cfg.DataDir, pki.AdminKubeconfig)
	var err error
	b.certs, err = pki.EnsureCluster(filepath.Join(b.cfg.DataDir, "pki"), b.kubeconfig, servingSANs(b.serviceCIDR, b.advertise, b.url), time.Now())
	if err != nil {
		return fmt.Errorf("cluster certificates: %w", err)
	}
	if b.kubeletTLS, err = b.certs.KubeletClientTLS(time.Now()); err != nil {
		return err
	}
	if b.loopback, err = loopbackConfig(b.certs, b.url); err != nil {
		return err
	}
	b.ids = newIdentities(b.certs.CA, b.url)
	if b.cmConfig, err = b.ids.controllerManager(); err != nil {
		return err
	}
	b.schedConfig, err = b.ids.scheduler()
	return err
}

// buildAPI assembles storage, authentication, authorization, audit and the
// API server, and starts its background work.
func (b *boot) buildAPI(ctx context.Context) error {
	scheme, err := apis.NewScheme()
	if err != nil {
		return err
	}
	b.reg = prometheus.NewRegistry()
	b.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	b.store = storage.New(b.etcd, storage.NewProtobufCodec(scheme), "/registry", b.encAudit.storeOptions(scheme)...)
	etcdMetrics, err := storage.NewMetrics(b.reg)
	if err != nil {
		return err
	}
	b.store.SetMetrics(etcdMetrics)
	auditLog, closeAudit, err := b.encAudit.openAudit(b.reg, b.log.With("component", "audit"))
	if err != nil {
		return err
	}
	b.auditLog = auditLog
	b.cleanups = append(b.cleanups, closeAudit)
	saIssuer, saAuthenticator, err := serviceAccountTokens(b.cfg, filepath.Join(b.cfg.DataDir, "pki"), b.store, b.advertise, b.log)
	if err != nil {
		return err
	}
	b.saIssuer = saIssuer
	saAuthenticator = tuneServiceAccountAuthn(saAuthenticator, b.loopback)
	// Node and RBAC authorization fed by storage watches, then the
	// optional ABAC and webhook (--authorization-mode).
	b.authorizer = authz.New(authz.Config{Source: b.store, GetObject: b.store.Get, Log: b.log.With("component", "authz"), Clock: clock.RealClock{}, After: b.auth.after})
	if err := b.authorizer.Start(ctx); err != nil {
		return fmt.Errorf("start authorizer: %w", err)
	}
	b.api, err = apiserver.New(apiserver.Config{
		Store: b.store, Authorizer: b.authorizer,
		Log: b.log.With("component", "apiserver"), Clock: clock.RealClock{},
		Registerer: b.reg, Gatherer: b.reg, ServiceCIDR: b.serviceCIDR, SecondaryServiceCIDR: b.serviceCIDR2, Version: Version(),
		AdvertiseAddress: b.advertise, Port: b.cfg.HTTPSPort, KubeletClientTLS: b.kubeletTLS,
		ServiceAccountIssuer: saIssuer, TokenAuthenticators: append([]apiserver.TokenAuthenticator{saAuthenticator}, b.auth.tokens...),
		DefaultNotReadyTolerationSeconds: b.cfg.DefaultNotReadyTolerationSeconds, DefaultUnreachableTolerationSeconds: b.cfg.DefaultUnreachableTolerationSeconds,
		ReadyHooks: []apiserver.ReadyHook{{Name: "rbac/bootstrap-roles", Check: func(context.Context) error {
			if !b.rbacReady.Load() {
				return errors.New("default RBAC roles and bindings not reconciled yet")
			}
			return nil
		}}},
		Audit: b.auditLog,
	})
	if err != nil {
		return fmt.Errorf("build API server: %w", err)
	}
	return b.api.Start(ctx)
}

// serve listens on the HTTPS port.
func (b *boot) serve(context.Context) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(b.cfg.BindAddress, strconv.Itoa(b.cfg.HTTPSPort)))
	if err != nil {
		return fmt.Errorf("listen on %s:%d: %w", b.cfg.BindAddress, b.cfg.HTTPSPort, err)
	}
	tlsCfg := b.certs.ServerTLS()
	b.srv = &http.Server{Handler: b.api.Handler(), TLSConfig: tlsCfg, ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(b.log.Handler(), slog.LevelDebug)}
	b.serveErr = make(chan error, 1)
	go func() { b.serveErr <- b.srv.Serve(tls.NewListener(ln, tlsCfg)) }()
	b.log.Info("API server listening", "url", b.url, "kubeconfig", b.kubeconfig)
	return nil
}

// bootstrap writes what the cluster needs before its components run:
// default RBAC (retried in the background on failure; /readyz waits for
// it), cluster-info for joining agents, component ServiceAccounts, DNS.
func (b *boot) bootstrap(ctx context.Context) {
	admin := kubernetes.NewForConfigOrDie(b.loopback)
	if err := ensureIssuerDiscoveryRole(ctx, admin); err != nil {
		b.log.Warn("service account issuer discovery role not created", "err", err)
	}
	if err := reconcileRBAC(ctx, b.authorizer, b.loopback); err != nil {
		b.log.Warn("default RBAC roles and bindings not reconciled; retrying", "err", err)
		go retryRBAC(ctx, b.authorizer, b.loopback, &b.rbacReady, b.log)
	} else {
		b.rbacReady.Store(true)
	}
	if err := publishClusterInfo(ctx, admin, b.certs.CA,
		"https://"+net.JoinHostPort(b.advertise.String(), strconv.Itoa(b.cfg.HTTPSPort))); err != nil {
		b.log.Warn("agents cannot join until cluster-info is published", "err", err)
	}
	if err := ensureServiceAccounts(ctx, admin, componentServiceAccounts()); err != nil {
		b.log.Warn("component service accounts not created", "err", err)
	}
	// The DNS starts once its role exists, so its first lists are not refused.
	if err := startDNS(ctx, b.cfg, b.loopback, b.ids, b.serviceCIDR, b.advertise, b.log.With("component", "dns")); err != nil {
		b.log.Warn("cluster DNS not started", "err", err)
	}
}

// run starts the controller manager and scheduler (leader-elected) and this
// machine's agent, and stops everything in order when ctx ends, serving
// fails or the agent fails.
func (b *boot) run(ctx context.Context) *Running {
	r := &Running{Kubeconfig: b.kubeconfig, URL: b.url, Loopback: b.loopback, done: make(chan error, 1)}
	cctx, stopControllers := context.WithCancel(ctx)
	controllersDone := make(chan struct{})
	host, _ := os.Hostname()
	identity := host + "_" + string(uuid.NewUUID())
	go func() {
		defer close(controllersDone)
		var wg sync.WaitGroup
		wg.Go(func() {
			cm := manager.Config{RestConfig: b.cmConfig, ClientConfigFor: b.ids.serviceAccount, CA: b.certs.CA,
				ClusterCIDR: b.clusterCIDR, SecondaryClusterCIDR: b.clusterCIDR2, LegacyTokens: b.saIssuer,
				ServiceLBPool: b.lbPool, DisableServiceLB: b.cfg.ServiceLB.Disable,
				Log: b.log.With("component", "controller-manager"), Identity: identity}
			runElected(cctx, cm.Log, func(ctx context.Context) error { return manager.Run(ctx, cm) })
		})
		wg.Go(func() {
			sc := scheduler.Config{RestConfig: b.schedConfig, Log: b.log.With("component", "scheduler"), Identity: identity,
				Profiles: b.profiles, LeaderElect: true, Registerer: b.reg}
			runElected(cctx, sc.Log, func(ctx context.Context) error { return scheduler.Run(ctx, sc) })
		})
		wg.Wait()
	}()
	agentDone, agentErr := make(chan struct{}), make(chan error, 1)
	actx, stopAgent := context.WithCancel(ctx)
	go func() {
		defer close(agentDone)
		if b.cfg.DisableAgent {
			return
		}
		if err := runAgent(actx, b.cfg, b.serviceCIDR, b.certs.CA, b.url, kubernetes.NewForConfigOrDie(b.loopback), b.log); err != nil {
			agentErr <- fmt.Errorf("node agent: %w", err)
		}
	}()
	go func() {
		var err error
		select {
		case <-ctx.Done():
		case err = <-b.serveErr:
		case err = <-agentErr:
		}
		// The agent and controllers stop first: they talk to the API to the end.
		stopAgent()
		<-agentDone
		stopControllers()
		<-controllersDone
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if serr := b.srv.Shutdown(sctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			b.log.Warn("shutdown API server", "err", serr)
		}
		b.undo()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		b.log.Info("server stopped")
		r.done <- err
	}()
	return r
}
