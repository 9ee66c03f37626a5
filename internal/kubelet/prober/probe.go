package prober

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	internalapi "k8s.io/cri-api/pkg/apis"
	utilexec "k8s.io/utils/exec"
)

// UserAgent is what HTTP and gRPC probes announce, as upstream kubelet 1.37.
const UserAgent = "kube-probe/1.37"

// maxBodyLength bounds how much of an HTTP response body a probe reads.
const maxBodyLength = 10 << 10

// outcome is the verdict of one probe run, before thresholds.
type outcome int

const (
	outcomeSuccess outcome = iota
	outcomeWarning
	outcomeFailure
)

// target is what a probe needs to know about the container it probes.
type target struct {
	podIP       string
	container   *v1.Container
	containerID string // runtime ID, without the "containerd://" prefix
}

// runner runs single probes. Failures of the probed application are
// outcomes with a message; err is reserved for faults of the prober itself
// (unusable probe spec, runtime errors), which upstream does not count
// toward thresholds.
type runner struct {
	runtime   internalapi.RuntimeService
	transport *http.Transport
}

func newRunner(rt internalapi.RuntimeService) *runner {
	return &runner{runtime: rt, transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // probes never verify, as upstream
		DisableKeepAlives: true,
		Proxy:             nil,
	}}
}

func probeTimeout(p *v1.Probe) time.Duration {
	if p.TimeoutSeconds <= 0 {
		return time.Second
	}
	return time.Duration(p.TimeoutSeconds) * time.Second
}

// run executes one probe.
func (r *runner) run(ctx context.Context, p *v1.Probe, t target) (outcome, string, error) {
	timeout := probeTimeout(p)
	switch {
	case p.Exec != nil:
		return r.runExec(ctx, p.Exec.Command, t.containerID, timeout)
	case p.HTTPGet != nil:
		u, headers, err := httpTarget(p.HTTPGet, t)
		if err != nil {
			return outcomeFailure, "", err
		}
		o, msg := r.runHTTP(ctx, u, headers, timeout)
		return o, msg, nil
	case p.TCPSocket != nil:
		port, err := resolvePort(p.TCPSocket.Port, t.container)
		if err != nil {
			return outcomeFailure, "", err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = t.podIP
		}
		o, msg := runTCP(ctx, net.JoinHostPort(host, strconv.Itoa(port)), timeout)
		return o, msg, nil
	case p.GRPC != nil:
		service := ""
		if p.GRPC.Service != nil {
			service = *p.GRPC.Service
		}
		o, msg := runGRPC(ctx, net.JoinHostPort(t.podIP, strconv.Itoa(int(p.GRPC.Port))), service, timeout)
		return o, msg, nil
	}
	return outcomeFailure, "", errors.New("missing probe handler")
}

// runExec runs the command in the container; a non-zero exit is a failure
// whose message is the command's combined output.
func (r *runner) runExec(ctx context.Context, cmd []string, containerID string, timeout time.Duration) (outcome, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+time.Second)
	defer cancel()
	stdout, stderr, err := r.runtime.ExecSync(ctx, containerID, cmd, timeout)
	output := string(stdout) + string(stderr)
	if err == nil {
		return outcomeSuccess, output, nil
	}
	var exitErr utilexec.ExitError
	if errors.As(err, &exitErr) {
		return outcomeFailure, output, nil
	}
	if errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded || strings.Contains(err.Error(), "timed out") {
		return outcomeFailure, fmt.Sprintf("command %q timed out", strings.Join(cmd, " ")), nil
	}
	return outcomeFailure, "", fmt.Errorf("exec in container %s: %w", containerID, err)
}

// resolvePort turns a probe port (number or container port name) into a
// number.
func resolvePort(port intstr.IntOrString, c *v1.Container) (int, error) {
	n := port.IntValue()
	if port.Type == intstr.String {
		found := false
		for _, cp := range c.Ports {
			if cp.Name == port.StrVal {
				n, found = int(cp.ContainerPort), true
				break
			}
		}
		if !found {
			var err error
			if n, err = strconv.Atoi(port.StrVal); err != nil {
				return 0, fmt.Errorf("couldn't find port: %s in container %q", port.StrVal, c.Name)
			}
		}
	}
	if n <= 0 || n > 65535 {
		return 0, fmt.Errorf("invalid port number: %d", n)
	}
	return n, nil
}

// httpTarget builds the URL and headers of an httpGet probe.
func httpTarget(g *v1.HTTPGetAction, t target) (*url.URL, http.Header, error) {
	port, err := resolvePort(g.Port, t.container)
	if err != nil {
		return nil, nil, err
	}
	host := g.Host
	if host == "" {
		host = t.podIP
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(path)
	if err != nil {
		u = &url.URL{Path: path}
	}
	u.Scheme = scheme
	u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	headers := http.Header{}
	for _, h := range g.HTTPHeaders {
		headers.Add(h.Name, h.Value)
	}
	if _, ok := headers["User-Agent"]; !ok {
		headers.Set("User-Agent", UserAgent)
	}
	if _, ok := headers["Accept"]; !ok {
		headers.Set("Accept", "*/*")
	}
	return u, headers, nil
}

// redirectPolicy follows redirects to the same host only; a redirect
// elsewhere ends the probe with that response, as upstream.
func redirectPolicy(req *http.Request, via []*http.Request) error {
	if req.URL.Hostname() != via[0].URL.Hostname() {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// runHTTP performs an httpGet probe: 200–399 is success (a redirect that
// was not followed is a warning), anything else a failure.
func (r *runner) runHTTP(ctx context.Context, u *url.URL, headers http.Header, timeout time.Duration) (outcome, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return outcomeFailure, err.Error()
	}
	req.Header = headers
	if h := headers.Get("Host"); h != "" {
		req.Host = h
	}
	client := &http.Client{Transport: r.transport, Timeout: timeout, CheckRedirect: redirectPolicy}
	res, err := client.Do(req)
	if err != nil {
		return outcomeFailure, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxBodyLength))
	if res.StatusCode >= http.StatusOK && res.StatusCode < http.StatusBadRequest {
		if res.StatusCode >= http.StatusMultipleChoices {
			return outcomeWarning, fmt.Sprintf("Probe terminated redirects, Response body: %v", string(body))
		}
		return outcomeSuccess, string(body)
	}
	return outcomeFailure, fmt.Sprintf("HTTP probe failed with statuscode: %d", res.StatusCode)
}

// runTCP succeeds when a TCP connection can be opened.
func runTCP(ctx context.Context, addr string, timeout time.Duration) (outcome, string) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return outcomeFailure, err.Error()
	}
	_ = conn.Close()
	return outcomeSuccess, ""
}

// runGRPC calls grpc.health.v1.Health/Check; only SERVING is success.
func runGRPC(ctx context.Context, addr, service string, timeout time.Duration) (outcome, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUserAgent(UserAgent))
	if err != nil {
		return outcomeFailure, fmt.Sprintf("error: failed to connect service at %q: %+v", addr, err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.WaitForReady(true))
	if err != nil {
		switch status.Code(err) {
		case codes.Unimplemented:
			return outcomeFailure, fmt.Sprintf("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): %s", status.Convert(err).Message())
		case codes.DeadlineExceeded:
			return outcomeFailure, fmt.Sprintf("timeout: failed to connect service %q within %v: %+v", addr, timeout, err)
		}
		return outcomeFailure, fmt.Sprintf("error: health rpc probe failed: %+v", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return outcomeFailure, fmt.Sprintf("service unhealthy (responded with %q)", resp.GetStatus().String())
	}
	return outcomeSuccess, "service is serving"
}
