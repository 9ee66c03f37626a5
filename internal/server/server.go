package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/agent"
	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/dns"
	"github.com/capstan/capstan/internal/etcd"
	"github.com/capstan/capstan/internal/pki"
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
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	b := &boot{cfg: cfg, log: cfg.Log}
	// Every file and flag is checked before etcd starts.
	if err := b.options(); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context) error{b.openStorage, b.credentials, b.buildAPI, b.serve} {
		if err := step(ctx); err != nil {
			b.undo()
			return nil, err
		}
	}
	b.bootstrap(ctx)
	return b.run(ctx), nil
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
