package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/capstan/capstan/internal/controller/serviceaccounttoken"
	"github.com/capstan/capstan/internal/controller/servicelb"
	"github.com/capstan/capstan/internal/leaderelect"
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
	// SecondaryClusterCIDR (other IP family) makes node IPAM dual-stack.
	SecondaryClusterCIDR *net.IPNet
	// ClientConfigFor, if set, returns the client configuration of the
	// ServiceAccount kube-system/<serviceAccount> a controller runs as
	// (upstream's --use-service-account-credentials); RestConfig is then
	// the manager's own identity (informers, events, leader election).
	// Nil runs every controller with RestConfig.
	ClientConfigFor func(serviceAccount string) (*rest.Config, error)
	// LegacyTokens signs the tokens of Secret-based ServiceAccount tokens
	// (the API server's issuer); nil runs no tokens controller.
	LegacyTokens serviceaccounttoken.Generator
	// ServiceLBPool is where LoadBalancer addresses come from (empty: the
	// nodes' addresses); DisableServiceLB runs no built-in load balancer.
	ServiceLBPool    []servicelb.AddrRange
	DisableServiceLB bool
}

// Run runs all controllers until ctx ends, under leader election on the Lease
// kube-system/kube-controller-manager. It returns nil when ctx is done.
func Run(ctx context.Context, cfg Config) error {
	return run(ctx, cfg, inTree)
}

func run(ctx context.Context, cfg Config, reg registry) error {
	le := leaderelect.Config{RestConfig: cfg.RestConfig, Lease: "kube-controller-manager", Identity: cfg.Identity, Log: cfg.Log}
	return leaderelect.Run(ctx, le, func(ctx context.Context) error { return runControllers(ctx, cfg, reg) })
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
		LegacyTokens:      cfg.LegacyTokens,
	}
	cc.SecondaryClusterCIDR = cfg.SecondaryClusterCIDR
	cc.ServiceLBPool, cc.DisableServiceLB = cfg.ServiceLBPool, cfg.DisableServiceLB
	cc.ClientFor = clientsFor(cfg, client, meta)
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
