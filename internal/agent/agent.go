package agent

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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/agent/containerd"
	"github.com/capstan/capstan/internal/kubelet"
	"github.com/capstan/capstan/internal/kubelet/cri"
	"github.com/capstan/capstan/internal/kubelet/eviction"
	"github.com/capstan/capstan/internal/kubelet/imagegc"
	"github.com/capstan/capstan/internal/kubelet/images"
	"github.com/capstan/capstan/internal/kubelet/nodestatus"
	"github.com/capstan/capstan/internal/kubelet/prober"
	kubeletserver "github.com/capstan/capstan/internal/kubelet/server"
	"github.com/capstan/capstan/internal/kubelet/volume"
	"github.com/capstan/capstan/internal/network"
	"github.com/capstan/capstan/internal/proxy"
)

// Config configures the node agent.
type Config struct {
	// DataDir holds containerd's state, CNI config, pods and logs.
	DataDir  string
	NodeName string
	// NodeIP is the node's InternalIP; empty takes the address of the
	// default-route interface.
	NodeIP      string
	Credentials *Credentials
	// ContainerRuntimeEndpoint names an existing CRI socket; empty starts
	// and supervises containerd.
	ContainerRuntimeEndpoint string
	// KubeletPort is where the kubelet API listens (10250).
	KubeletPort   int
	ControlPlane  bool
	ClusterDNS    []string
	ClusterDomain string
	// KubeletVersion is reported in the Node's nodeInfo.
	KubeletVersion string
	// ClusterCIDR is the pod network (default 10.42.0.0/16): traffic from
	// outside it to a Service is masqueraded.
	ClusterCIDR string
	// NFTablesPrefix starts the names of the nftables tables of the node
	// ("<prefix>-proxy", "<prefix>-network"; default capstan); nodes sharing
	// a network namespace need their own.
	NFTablesPrefix string
	// PodNetworkMode is how pods reach pods on other nodes: network.ModeHostGW
	// (default; nodes on one L2 segment) or network.ModeVXLAN. All nodes of
	// a cluster must use the same.
	PodNetworkMode string
	// Eviction configures node-pressure eviction.
	Eviction EvictionConfig
	// ImageGC is the image garbage collection policy; zero is upstream's
	// default (85%, 80%, 2m).
	ImageGC imagegc.Policy
	Log     *slog.Logger
}

// Run runs the node agent until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if err := cfg.complete(); err != nil {
		return err
	}
	cniDir := filepath.Join(cfg.DataDir, "cni", "net.d")
	rt, err := startRuntime(ctx, cfg, cniDir)
	if err != nil {
		return err
	}
	defer rt.stop()
	rs, is, endpoint, imageFs := rt.rs, rt.is, rt.endpoint, rt.imageFs
	client, err := newLazyClientset(cfg.Credentials.API)
	if err != nil {
		return fmt.Errorf("build client: %w", err)
	}
	proxyClient, err := proxyClientOf(cfg.Credentials)
	if err != nil {
		return err
	}
	events := record.NewBroadcaster(record.WithContext(ctx))
	defer events.Shutdown()
	events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	recorder := events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: cfg.NodeName})

	clk := clock.RealClock{}
	rootDir := filepath.Join(cfg.DataDir, "kubelet")
	vols := volume.NewManager(volume.Options{Client: client, RootDir: rootDir, Log: log.With("component", "volumes"), Clock: clk, NodeName: cfg.NodeName})
	probes := prober.NewManager(prober.Options{Runtime: rs, Recorder: recorder, Clock: clk, Log: log.With("component", "prober")})
	defer probes.Stop()
	updates := make(chan kubelet.ProbeUpdate, 100)
	var evictions *eviction.Manager // set below; consulted only once the kubelet runs
	k, err := kubelet.New(kubelet.Config{
		NodeName: cfg.NodeName, Client: client, Runtime: rs, Images: is, Volumes: vols, Probes: probes, ProbeUpdates: updates,
		Recorder: recorder, Clock: clk, Log: log.With("component", "kubelet"), RootDir: rootDir,
		LogDir: filepath.Join(cfg.DataDir, "pods-logs"), ClusterDNS: cfg.ClusterDNS, ClusterDomain: cfg.ClusterDomain,
		HostIPs:   []string{cfg.NodeIP},
		Admitters: []kubelet.PodAdmitter{kubelet.AdmitFunc(func(p *corev1.Pod) (bool, string, string) { return evictions.Admit(p) })},
	})
	if err != nil {
		return err
	}
	kick := make(chan struct{}, 1)
	if err := os.MkdirAll(rootDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", rootDir, err)
	}
	nodeEvent := func(eventType, reason, message string) {
		recorder.Event(&corev1.ObjectReference{Kind: "Node", Name: cfg.NodeName, UID: types.UID(cfg.NodeName)}, eventType, reason, message)
	}
	imageGC, err := newImageGC(cfg.ImageGC, rs, is, imageFs, nodeEvent, log.With("component", "imagegc"))
	if err != nil {
		return err
	}
	evictions, err = newEvictionManager(cfg.Eviction, k, rs, rootDir, imageFs,
		nodeReclaim{deleteContainers: k.DeleteUnusedContainers, deleteImages: imageGC.DeleteUnusedImages}, func() {
			select {
			case kick <- struct{}{}:
			default:
			}
		}, nodeEvent, log.With("component", "eviction"))
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); wg.Wait() }()
	errs := make(chan error, 16) // more than the components below: a failing one never blocks
	run := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		})
	}
	run("node status", func(ctx context.Context) error {
		return nodestatus.Run(ctx, nodestatus.Options{
			Client: client, NodeName: cfg.NodeName, Runtime: rs, Images: is, Log: log.With("component", "nodestatus"),
			DataDir: cfg.DataDir, ControlPlane: cfg.ControlPlane, InternalIP: cfg.NodeIP, KubeletVersion: cfg.KubeletVersion,
			KubeletPort: int32(cfg.KubeletPort), Kick: kick, Pressure: evictions.Pressure,
			ReadyFunc: func(ctx context.Context) error { return nodestatus.RuntimeReady(ctx, rs) },
		})
	})
	run("CNI config", func(ctx context.Context) error {
		if err := writeNetworkConfig(ctx, client, cfg, cniDir); err != nil {
			return err
		}
		kick <- struct{}{}
		return nil
	})
	run("kubelet", k.Run)
	run("eviction", evictions.Run)
	run("image gc", imageGC.Run)
	run("service proxy", func(ctx context.Context) error {
		return proxy.Run(ctx, proxy.Options{Client: proxyClient, NodeName: cfg.NodeName, NodeIPs: []net.IP{net.ParseIP(cfg.NodeIP)},
			Log: log.With("component", "proxy"), ClusterCIDR: cfg.ClusterCIDR, Table: cfg.NFTablesPrefix + "-proxy"})
	})
	run("pod network", func(ctx context.Context) error {
		return network.Run(ctx, network.Options{Client: client, NodeName: cfg.NodeName, ClusterCIDR: cfg.ClusterCIDR,
			Table: cfg.NFTablesPrefix + "-network", Mode: cfg.PodNetworkMode, NodeIP: net.ParseIP(cfg.NodeIP), Log: log.With("component", "network")})
	})
	run("volumes", func(ctx context.Context) error { vols.Run(ctx); return nil })
	run("probes", func(ctx context.Context) error { forwardProbes(ctx, probes.Updates(), updates); return nil })
	run("kubelet API", func(ctx context.Context) error {
		return serveKubeletAPI(ctx, net.JoinHostPort(cfg.NodeIP, strconv.Itoa(cfg.KubeletPort)), cfg.Credentials.KubeletTLS,
			kubeletserver.New(kubeletserver.Options{Runtime: rs, Pod: k.Pod, Authorize: AuthorizeKubeletClient, NodeName: cfg.NodeName,
				NodeUsage: func() (kubeletserver.NodeUsage, error) { return kubeletserver.ReadNodeUsage("/proc", time.Now()) }, Log: log.With("component", "kubelet-api")}))
	})
	log.Info("node agent running", "node", cfg.NodeName, "ip", cfg.NodeIP, "runtime", endpoint)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errs:
		return err
	}
}

// DetectNodeIP returns the address of the default-route interface.
func DetectNodeIP(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	m, err := nodestatus.ReadMachineInfo(dataDir)
	if err != nil {
		return "", fmt.Errorf("find the node's address (set --node-ip): %w", err)
	}
	if m.InternalIP == "" {
		return "", errors.New("find the node's address: no default route (set --node-ip)")
	}
	return m.InternalIP, nil
}

// writeNetworkConfig waits for the node's pod CIDR (the node IPAM
// controller assigns it once the node registers) and writes the CNI
// configuration for it; containerd picks it up without a restart.
func writeNetworkConfig(ctx context.Context, client kubernetes.Interface, cfg Config, cniDir string) error {
	mtu, err := network.PodMTU(cfg.PodNetworkMode, net.ParseIP(cfg.NodeIP))
	if err != nil {
		return fmt.Errorf("pod MTU: %w", err)
	}
	var cidr string
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		n, err := client.CoreV1().Nodes().Get(ctx, cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		cidr = containerd.PodCIDRList(n.Spec.PodCIDR, n.Spec.PodCIDRs)
		return cidr != "", nil
	})
	if err != nil {
		return fmt.Errorf("wait for the node's pod CIDR: %w", err)
	}
	if err := containerd.WriteCNIConfig(cniDir, cidr, mtu); err != nil {
		return fmt.Errorf("write CNI config for %s: %w", cidr, err)
	}
	return nil
}

// complete fills cfg's defaults, checks it and creates the data dir.
func (cfg *Config) complete() error {
	if cfg.KubeletPort == 0 {
		cfg.KubeletPort = 10250
	}
	if cfg.ClusterCIDR == "" {
		cfg.ClusterCIDR = "10.42.0.0/16"
	}
	if cfg.NFTablesPrefix == "" {
		cfg.NFTablesPrefix = "capstan"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if m := cfg.PodNetworkMode; m != "" && m != network.ModeHostGW && m != network.ModeVXLAN {
		return fmt.Errorf("unknown pod network mode %q (want %s or %s)", m, network.ModeHostGW, network.ModeVXLAN)
	}
	if cfg.NodeIP == "" {
		ip, err := DetectNodeIP(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.NodeIP = ip
	}
	return nil
}

// containerRuntime is the node's CRI: its own supervised containerd (with
// imageFs its root) or the one at Config.ContainerRuntimeEndpoint.
type containerRuntime struct {
	rs                internalapi.RuntimeService
	is                internalapi.ImageManagerService
	endpoint, imageFs string
	stop              func()
}

// startRuntime starts containerd unless an endpoint is configured,
// connects over CRI and imports the pause image if it is missing.
func startRuntime(ctx context.Context, cfg Config, cniDir string) (*containerRuntime, error) {
	rt := &containerRuntime{endpoint: cfg.ContainerRuntimeEndpoint, stop: func() {}}
	if rt.endpoint == "" {
		rt.imageFs = containerd.NewLayout(cfg.DataDir).Root
		proc, err := containerd.Start(ctx, containerd.Options{DataDir: cfg.DataDir, Log: cfg.Log,
			CNIConfDir: cniDir, SandboxImage: images.PauseImage, StreamAddress: cfg.NodeIP})
		if err != nil {
			return nil, err
		}
		rt.stop = func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := proc.Stop(sctx); err != nil {
				cfg.Log.Warn("stop containerd", "err", err)
			}
		}
		rt.endpoint = proc.Endpoint()
	}
	var err error
	if rt.rs, rt.is, err = cri.Connect(ctx, rt.endpoint, cfg.Log); err != nil {
		rt.stop()
		return nil, err
	}
	tmp := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		rt.stop()
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := images.EnsurePause(ctx, rt.is, rt.endpoint, tmp); err != nil {
		rt.stop()
		return nil, err
	}
	return rt, nil
}

// forwardProbes hands the prober's result changes to the kubelet.
func forwardProbes(ctx context.Context, in <-chan prober.Update, out chan<- kubelet.ProbeUpdate) {
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-in:
			pu := kubelet.ProbeUpdate{PodUID: u.PodUID, Container: u.Container,
				LivenessFailed: (u.Kind == prober.Liveness || u.Kind == prober.Startup) && u.Result == prober.Failure}
			select {
			case out <- pu:
			case <-ctx.Done():
				return
			}
		}
	}
}

// serveKubeletAPI serves h over TLS on addr until ctx ends.
func serveKubeletAPI(ctx context.Context, addr string, tlsCfg *tls.Config, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	cfg := tlsCfg.Clone()
	cfg.NextProtos = []string{"http/1.1"} // upgrades (exec, port-forward) need HTTP/1.1
	srv := &http.Server{Handler: h, TLSConfig: cfg, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(tls.NewListener(ln, cfg)); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
