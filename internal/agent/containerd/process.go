package containerd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/kubelet/images"
)

// InstallHint says how to get containerd and the tools pods need.
const InstallHint = "install it with scripts/install-deps.sh, or: apt-get install containerd runc containernetworking-plugins iptables nftables"

// Options configure Start. Zero values take the documented defaults.
type Options struct {
	// DataDir is the agent's data dir; containerd lives in <DataDir>/containerd.
	DataDir string
	Log     *slog.Logger
	// Path is the containerd binary (default: "containerd" from PATH).
	Path string
	// CNIBinDir holds the CNI plugins (default /usr/lib/cni).
	CNIBinDir string
	// CNIConfDir is the CNI conf dir (default <DataDir>/cni/net.d).
	CNIConfDir string
	// SandboxImage is the pause image reference the CRI plugin uses
	// (default: the built-in images.PauseImage, which cannot be pulled:
	// import it with images.EnsurePause once containerd answers).
	SandboxImage string
	// StreamAddress is the CRI streaming server address (default 127.0.0.1).
	StreamAddress string
	// NetNS, if set, is a network namespace path (/run/netns/NODE) that
	// containerd runs in, entered with nsenter --net (not ip netns exec,
	// which hides the cgroup mounts).
	NetNS string
	// StartTimeout bounds the wait for the first CRI answer (default 30s).
	StartTimeout time.Duration
	// Clock times restart back-off (default: the real clock).
	Clock clock.Clock
}

func (o *Options) setDefaults() error {
	if o.DataDir == "" {
		return errors.New("containerd: DataDir is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Path == "" {
		p, err := exec.LookPath("containerd")
		if err != nil {
			return fmt.Errorf("containerd not found in PATH: %s", InstallHint)
		}
		o.Path = p
	} else if _, err := os.Stat(o.Path); err != nil {
		return fmt.Errorf("containerd binary %s: %w; %s", o.Path, err, InstallHint)
	}
	if o.CNIBinDir == "" {
		o.CNIBinDir = "/usr/lib/cni"
	}
	if o.CNIConfDir == "" {
		o.CNIConfDir = filepath.Join(o.DataDir, "cni", "net.d")
	}
	if o.SandboxImage == "" {
		o.SandboxImage = images.PauseImage
	}
	if o.StreamAddress == "" {
		o.StreamAddress = "127.0.0.1"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return nil
}

// Process is a supervised containerd.
type Process struct {
	opts   Options
	layout Layout
	log    *slog.Logger

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd has exited
	stopping bool
	stopCh   chan struct{} // closed by Stop
	done     chan struct{} // closed when the supervisor returns
}

// Start writes the configuration, starts containerd and waits until its CRI
// Version call answers. After that, containerd is restarted with back-off if
// it exits, until Stop is called or ctx ends (ctx ending stops restarts but
// does not kill containerd; Stop does).
func Start(ctx context.Context, opts Options) (*Process, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	layout := NewLayout(opts.DataDir)
	err := writeConfig(ConfigParams{Layout: layout, CNIBinDir: opts.CNIBinDir, CNIConfDir: opts.CNIConfDir,
		SandboxImage: opts.SandboxImage, StreamAddress: opts.StreamAddress})
	if err != nil {
		return nil, err
	}
	p := &Process{opts: opts, layout: layout, log: opts.Log.With("component", "containerd"),
		stopCh: make(chan struct{}), done: make(chan struct{})}
	if err := p.spawn(); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := p.waitReady(wctx); err != nil {
		p.kill()
		return nil, fmt.Errorf("containerd did not answer CRI Version (log %s): %w", layout.Log, err)
	}
	go p.supervise(ctx)
	return p, nil
}

// Endpoint is the CRI endpoint URL (unix://…/containerd.sock).
func (p *Process) Endpoint() string { return "unix://" + p.layout.Socket }

// Layout returns where this containerd keeps its files.
func (p *Process) Layout() Layout { return p.layout }

// PID is the process id of the current containerd, 0 if none runs.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	select {
	case <-p.exited:
		return 0
	default:
		return p.cmd.Process.Pid
	}
}

// spawn starts one containerd child in its own process group.
func (p *Process) spawn() error {
	logFile, err := os.OpenFile(p.layout.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open containerd log: %w", err)
	}
	defer logFile.Close() // the child has its own copy
	args := []string{p.opts.Path, "--config", p.layout.Config}
	if p.opts.NetNS != "" {
		args = append([]string{"nsenter", "--net=" + p.opts.NetNS, "--"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start containerd: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		p.log.Info("containerd exited", "pid", cmd.Process.Pid, "err", err)
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	p.log.Info("containerd started", "pid", cmd.Process.Pid, "config", p.layout.Config)
	return nil
}

func (p *Process) current() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.exited
}

// waitReady polls CRI Version until it answers, the child exits or ctx ends.
func (p *Process) waitReady(ctx context.Context) error {
	_, exited := p.current()
	// The socket appears only once containerd listens: retry the dial
	// quickly instead of gRPC's default one-second reconnect back-off.
	retry := grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.2,
		MaxDelay: 100 * time.Millisecond}, MinConnectTimeout: time.Second}
	conn, err := grpc.NewClient("unix://"+p.layout.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(retry))
	if err != nil {
		return fmt.Errorf("dial containerd: %w", err)
	}
	defer conn.Close()
	client := runtimeapi.NewRuntimeServiceClient(conn)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := client.Version(cctx, &runtimeapi.VersionRequest{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("containerd exited during start")
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// RestartDelay is the back-off before restarting a containerd that died:
// doubling from 1 s to 30 s, back to 1 s after it ran for a minute.
func RestartDelay(prev, ran time.Duration) time.Duration {
	const initial, maxDelay, healthy = time.Second, 30 * time.Second, time.Minute
	if prev == 0 || ran >= healthy {
		return initial
	}
	return min(2*prev, maxDelay)
}

// supervise restarts containerd when it exits, until Stop or ctx ends.
func (p *Process) supervise(ctx context.Context) {
	defer close(p.done)
	var delay time.Duration
	started := p.opts.Clock.Now()
	for {
		_, exited := p.current()
		select {
		case <-exited:
		case <-p.stopCh:
			return
		case <-ctx.Done():
			return
		}
		delay = RestartDelay(delay, p.opts.Clock.Since(started))
		p.log.Warn("containerd died, restarting", "delay", delay)
		select {
		case <-p.opts.Clock.After(delay):
		case <-p.stopCh:
			return
		case <-ctx.Done():
			return
		}
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if stopping {
			return
		}
		started = p.opts.Clock.Now()
		if err := p.spawn(); err != nil {
			p.log.Error("restart containerd failed", "err", err)
		}
	}
}

// Stop ends supervision and stops containerd: SIGTERM, then SIGKILL after
// ten seconds or when ctx ends; it returns once the process has exited.
// Running shims (and so pods) outlive containerd.
func (p *Process) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.stopping {
		p.stopping = true
		close(p.stopCh)
	}
	p.mu.Unlock()
	<-p.done
	cmd, exited := p.current()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	grace := time.NewTimer(10 * time.Second)
	defer grace.Stop()
	select {
	case <-exited:
		return nil
	case <-grace.C:
	case <-ctx.Done():
	}
	p.log.Warn("containerd did not stop on SIGTERM, killing", "pid", cmd.Process.Pid)
	p.kill()
	return nil
}

// kill sends SIGKILL to the current child and waits for it to exit.
func (p *Process) kill() {
	cmd, exited := p.current()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}
