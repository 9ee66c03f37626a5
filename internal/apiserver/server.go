package apiserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/audit"
	"github.com/capstan/capstan/internal/storage"
)

// Config is everything the API server needs; zero values get defaults.
type Config struct {
	Store *storage.Store
	Log   *slog.Logger
	Clock clock.Clock
	// Registerer receives the server's metrics; Gatherer serves /metrics.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// ServiceCIDR is where ClusterIPs come from (default 10.43.0.0/16).
	ServiceCIDR *net.IPNet
	// SecondaryServiceCIDR, of the other IP family, makes Services
	// dual-stack capable (nil: single-stack).
	SecondaryServiceCIDR *net.IPNet
	// NodePortMin and NodePortMax bound NodePort allocation (30000–32767).
	NodePortMin, NodePortMax int
	// MaxReadInFlight and MaxMutatingInFlight bound concurrent requests
	// (watches excluded); beyond them requests get 429.
	MaxReadInFlight, MaxMutatingInFlight int
	// RequestTimeout bounds every non-watch request (default 60s).
	RequestTimeout time.Duration
	// MaxBodyBytes bounds request bodies (default 3 MiB).
	MaxBodyBytes int64
	// Version is served at /version.
	Version version.Info
	// TokenAuthenticators check bearer tokens after bootstrap tokens, in
	// order (ServiceAccount tokens, OIDC, webhook).
	TokenAuthenticators []TokenAuthenticator
	// ServiceAccountIssuer signs tokens for serviceaccounts/token and serves
	// OIDC discovery; nil serves neither.
	ServiceAccountIssuer TokenIssuer
	// Authorizer decides what users may do (default AllowAll).
	Authorizer Authorizer
	// AdvertiseAddress and Port are the endpoints of the kubernetes Service.
	AdvertiseAddress net.IP
	Port             int
	// KubeletClientTLS is how the server reaches kubelets for pods/log,
	// exec, attach and portforward: the client certificate it presents and
	// the CA it trusts. Nil disables those subresources (503).
	KubeletClientTLS *tls.Config
	// AdmissionPlugins names the admission plugins to run (see
	// admission/builtin.Names; they always run in that order). nil runs all
	// of them, as upstream enables them all by default; an empty non-nil
	// slice runs none.
	AdmissionPlugins []string
	// DefaultNotReadyTolerationSeconds and
	// DefaultUnreachableTolerationSeconds are what DefaultTolerationSeconds
	// gives pods (0: 300 s), as kube-apiserver's flags of the same names.
	DefaultNotReadyTolerationSeconds, DefaultUnreachableTolerationSeconds int64
	// Audit, if set, records audit events of authenticated requests
	// (--audit-policy-file, --audit-log-path) and answers every request
	// with an Audit-Id header; nil disables auditing.
	Audit *audit.Logger
	// ReadyHooks are upstream's post-start hooks as health checks
	// ("poststarthook/<Name>" in /healthz, /livez and /readyz): each fails
	// until the work it names is done, e.g. rbac/bootstrap-roles.
	ReadyHooks []ReadyHook
}

// ReadyHook is one post-start hook's health check; Check returns nil once
// the hook's work is done.
type ReadyHook struct {
	Name  string
	Check func(ctx context.Context) error
}

// Server is the API server. Create it with New, mount Handler, and run
// Start to bootstrap the built-in objects and background work.
type Server struct {
	cfg       Config
	log       *slog.Logger
	clock     clock.Clock
	store     *storage.Store
	scheme    *runtime.Scheme
	codecs    serializer.CodecFactory
	resources []*Resource
	byGVR     map[schema.GroupVersionResource]*Resource
	metrics   *metrics
	limits    *limiter
	fields    lazyFields
	caches    *watchCaches
	kubelets  *http.Transport
	handler   http.Handler
	admission *admission.Chain
}

// New builds a server from cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("apiserver: no store")
	}
	applyDefaults(&cfg)
	scheme, err := apis.NewScheme()
	if err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Log,
		clock:  cfg.Clock,
		store:  cfg.Store,
		scheme: scheme,
		codecs: serializer.NewCodecFactory(scheme, serializer.EnableStrict),
		byGVR:  map[schema.GroupVersionResource]*Resource{},
		limits: newLimiter(cfg.MaxReadInFlight, cfg.MaxMutatingInFlight),
		caches: newWatchCaches(cfg.Store, cfg.Log.With("component", "watch-cache")),
	}
	if cfg.KubeletClientTLS != nil {
		s.kubelets = newKubeletTransport(cfg.KubeletClientTLS)
	}
	s.resources = builtinResources(scheme)
	for _, r := range s.resources {
		s.byGVR[r.GVR()] = r
	}
	if s.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	if s.admission, err = s.newAdmission(); err != nil {
		return nil, err
	}
	s.handler = s.buildHandler()
	return s, nil
}

func applyDefaults(cfg *Config) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Registerer == nil {
		r := prometheus.NewRegistry()
		cfg.Registerer, cfg.Gatherer = r, r
	}
	if cfg.ServiceCIDR == nil {
		_, cfg.ServiceCIDR, _ = net.ParseCIDR("10.43.0.0/16")
	}
	if cfg.NodePortMin == 0 {
		cfg.NodePortMin, cfg.NodePortMax = 30000, 32767
	}
	if cfg.MaxReadInFlight == 0 {
		cfg.MaxReadInFlight = 400
	}
	if cfg.MaxMutatingInFlight == 0 {
		cfg.MaxMutatingInFlight = 200
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 3 << 20
	}
	if cfg.Port == 0 {
		cfg.Port = 6443
	}
	if cfg.Authorizer == nil {
		cfg.Authorizer = AllowAll{}
	}
}

// Resources returns the served resources (read-only).
func (s *Server) Resources() []*Resource { return s.resources }

// Handler returns the HTTP handler serving the whole API.
func (s *Server) Handler() http.Handler { return s.handler }

// Start creates the built-in namespaces and the kubernetes Service, then runs
// background maintenance (compaction) until ctx ends. It returns once the
// bootstrap objects exist.
func (s *Server) Start(ctx context.Context) error {
	if err := s.bootstrap(ctx); err != nil {
		return fmt.Errorf("bootstrap built-in objects: %w", err)
	}
	s.caches.start(ctx)
	go s.compactLoop(ctx, 5*time.Minute)
	return nil
}
