package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// binaryEnv names the capstan binary under test. TestMain sets it after
// building; a caller may set it beforehand to test a prebuilt binary.
const binaryEnv = "CAPSTAN_E2E_BINARY"

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(binaryEnv) != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "capstan-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: create binary dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := buildCapstan(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	if err := os.Setenv(binaryEnv, bin); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: set %s: %v\n", binaryEnv, err)
		return 1
	}
	return m.Run()
}

// buildCapstan builds ./cmd/capstan of this module into dir with the go
// command of the toolchain running the tests.
func buildCapstan(dir string) (string, error) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	bin := filepath.Join(dir, "capstan")
	cmd := exec.Command(goCmd, "build", "-o", bin, "./cmd/capstan")
	cmd.Dir = moduleRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/capstan: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the repository root relative to this package's directory.
const moduleRoot = "../.."

// statSources stats every Go source file and go.mod/go.sum of the module.
// go test records the files a test stats and reuses a cached result only
// while they are unchanged, so a change to the server's code re-runs these
// tests even though the test binary itself does not import that code. It must
// run inside a test (go test records file use only then), not in TestMain.
func statSources(t testing.TB) {
	t.Helper()
	err := filepath.WalkDir(moduleRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != moduleRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if name := d.Name(); strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("stat module sources: %v", err)
	}
}

// serverOptions are how a test wants its server started.
type serverOptions struct {
	// dataDir reuses a data dir (restart tests); empty means a fresh one.
	dataDir string
	// etcdServers points the server at an external etcd.
	etcdServers string
	// port is the HTTPS port; 0 picks a free one.
	port int
	// agent runs the server's own node (real containerd) as node
	// "e2e-<port>" on 127.0.0.1 with a pod network of its own.
	agent bool
	// bindAll listens on every address (nodes in network namespaces reach
	// the server through their veth).
	bindAll bool
	// nodeIP is the server's node address (default 127.0.0.1).
	nodeIP string
	// extraArgs are appended to the server's command line.
	extraArgs []string
}

// cluster is one running `capstan server` process.
type cluster struct {
	t          testing.TB
	dataDir    string
	port       int
	kubeconfig string
	logPath    string
	// nodeName is the server's own node; empty without an agent.
	nodeName string
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error

	// controllersOnce guards controllers: whether the controller manager's
	// Lease appeared (see controllersRunning).
	controllersOnce sync.Once
	controllers     bool
}

// startCluster starts a server and waits until it is ready; t.Cleanup stops
// it. A port taken between choosing and binding it is retried.
func startCluster(t testing.TB, opts serverOptions) *cluster {
	t.Helper()
	statSources(t)
	if opts.dataDir == "" {
		opts.dataDir = t.TempDir()
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		c, err := launch(t, opts)
		if err == nil {
			t.Cleanup(func() { c.cleanup() })
			return c
		}
		lastErr = err
		if opts.port != 0 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start capstan server: %v", lastErr)
	return nil
}

func launch(t testing.TB, opts serverOptions) (*cluster, error) {
	port := opts.port
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	c := &cluster{
		t: t, dataDir: opts.dataDir, port: port,
		kubeconfig: filepath.Join(opts.dataDir, "admin.kubeconfig"),
		logPath:    filepath.Join(t.TempDir(), "server.log"),
		exited:     make(chan struct{}),
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close()
	bind := "127.0.0.1"
	if opts.bindAll {
		bind = "0.0.0.0"
	}
	dnsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"server", "--data-dir", c.dataDir, "--https-port", strconv.Itoa(port), "--bind-address", bind,
		"--cluster-dns-port", strconv.Itoa(dnsPort)}
	if opts.agent {
		kubeletPort, err := freePort()
		if err != nil {
			return nil, err
		}
		c.nodeName = "e2e-" + strconv.Itoa(port)
		nodeIP := opts.nodeIP
		if nodeIP == "" {
			nodeIP = "127.0.0.1"
		}
		args = append(args, "--node-name", c.nodeName, "--node-ip", nodeIP, "--kubelet-port", strconv.Itoa(kubeletPort),
			"--cluster-cidr", podNetwork(), "--nftables-prefix", "capstan-"+c.nodeName)
	} else {
		args = append(args, "--disable-agent")
	}
	if opts.etcdServers != "" {
		args = append(args, "--etcd-servers", opts.etcdServers)
	}
	args = append(args, opts.extraArgs...)
	c.cmd = exec.Command(os.Getenv(binaryEnv), args...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec %s: %w", c.cmd.Path, err)
	}
	go func() { c.waitErr = c.cmd.Wait(); close(c.exited) }()
	if err := c.waitReady(); err != nil {
		c.kill()
		return nil, fmt.Errorf("%w; server log:\n%s", err, c.log())
	}
	return c, nil
}

// waitReady polls /readyz with the CA from the server's own kubeconfig, so
// a different server that happens to answer on the port does not count.
func (c *cluster) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("server exited before ready: %v", c.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if last = c.probeReady(); last == nil {
			return nil
		}
	}
	return fmt.Errorf("server not ready after %s: %v", readyTimeout, last)
}

func (c *cluster) probeReady() error {
	cfg, err := c.restConfig()
	if err != nil {
		return err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return fmt.Errorf("http client: %w", err)
	}
	client.Timeout = 2 * time.Second
	resp, err := client.Get(cfg.Host + "/readyz")
	if err != nil {
		return fmt.Errorf("GET /readyz: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /readyz: %s", resp.Status)
	}
	return nil
}

// restConfig is the admin client configuration from the server's kubeconfig.
func (c *cluster) restConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", c.kubeconfig, err)
	}
	return cfg, nil
}

// url is where the server listens.
func (c *cluster) url() string {
	return "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
}

// stop sends SIGTERM and waits; it returns the process's exit error (nil for
// exit status 0) and how long the exit took.
func (c *cluster) stop() (time.Duration, error) {
	start := time.Now()
	select {
	case <-c.exited:
		return 0, c.waitErr
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("send SIGTERM: %w", err)
	}
	select {
	case <-c.exited:
		return time.Since(start), c.waitErr
	case <-time.After(stopTimeout):
		c.kill()
		return time.Since(start), fmt.Errorf("server still running %s after SIGTERM; killed", stopTimeout)
	}
}

func (c *cluster) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

func (c *cluster) cleanup() {
	if c.nodeName != "" {
		c.removePods()
	}
	if _, err := c.stop(); err != nil {
		c.t.Errorf("stop server: %v", err)
	}
	if c.t.Failed() {
		c.t.Logf("server log (%s):\n%s", c.logPath, c.log())
	}
}

// log returns the last part of the server's output.
func (c *cluster) log() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("(read server log: %v)", err)
	}
	const max = 8 << 10
	if len(b) > max {
		b = append([]byte("...\n"), b[len(b)-max:]...)
	}
	return string(bytes.TrimSpace(b))
}

// freePort asks the kernel for a loopback port that is free right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// eventually polls f until it returns nil or the timeout passes.
func eventually(ctx context.Context, timeout time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
