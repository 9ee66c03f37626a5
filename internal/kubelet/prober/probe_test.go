package prober

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	internalapi "k8s.io/cri-api/pkg/apis"
	utilexec "k8s.io/utils/exec"
)

// execReply is what the fake runtime answers to one ExecSync.
type execReply struct {
	stdout, stderr string
	exitCode       int // non-zero: an exit error, as the CRI client returns
	err            error
}

// fakeRuntime is a RuntimeService whose ExecSync answers scripted replies;
// the last reply repeats. Other methods are not used by the prober and
// panic (nil embedded interface). The cri-api testing fake is not used: it
// needs github.com/stretchr/testify, which go.mod does not have.
type fakeRuntime struct {
	internalapi.RuntimeService
	mu      sync.Mutex
	replies []execReply
	// byCmd, when it has the command's first word, answers instead of replies.
	byCmd map[string]*execReply
	calls []string // container IDs
}

func newFakeRuntime(replies ...execReply) *fakeRuntime {
	return &fakeRuntime{replies: replies}
}

func (f *fakeRuntime) ExecSync(_ context.Context, id string, cmd []string, _ time.Duration) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, id)
	r := execReply{}
	if br, ok := f.byCmd[cmd[0]]; ok {
		r = *br
	} else if len(f.replies) > 0 {
		r = f.replies[0]
		if len(f.replies) > 1 {
			f.replies = f.replies[1:]
		}
	}
	err := r.err
	if r.exitCode != 0 {
		err = utilexec.CodeExitError{Err: fmt.Errorf("command '%s' exited with %d: %s", strings.Join(cmd, " "), r.exitCode, r.stderr), Code: r.exitCode}
	}
	return []byte(r.stdout), []byte(r.stderr), err
}

func (f *fakeRuntime) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func TestExecProbe(t *testing.T) {
	tests := []struct {
		name    string
		reply   execReply
		want    outcome
		wantMsg string
		wantErr bool
	}{
		{name: "exit 0", reply: execReply{stdout: "ok\n"}, want: outcomeSuccess, wantMsg: "ok\n"},
		{name: "exit 1 with output", reply: execReply{stdout: "out ", stderr: "cat: /tmp/healthy: No such file", exitCode: 1}, want: outcomeFailure, wantMsg: "out cat: /tmp/healthy: No such file"},
		{name: "timeout", reply: execReply{err: context.DeadlineExceeded}, want: outcomeFailure, wantMsg: `command "cat /tmp/healthy" timed out`},
		{name: "runtime fault", reply: execReply{err: errors.New("container not found")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(newFakeRuntime(tt.reply))
			p := &v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"cat", "/tmp/healthy"}}}}
			got, msg, err := r.run(context.Background(), p, target{containerID: "c1", container: &v1.Container{Name: "c"}})
			if tt.wantErr {
				if err == nil {
					t.Fatal("want a prober error")
				}
				return
			}
			if err != nil || got != tt.want || msg != tt.wantMsg {
				t.Fatalf("got %v %q %v; want %v %q", got, msg, err, tt.want, tt.wantMsg)
			}
		})
	}
}

// splitHostPort returns the host and port of a test server URL.
func splitHostPort(t *testing.T, raw string) (string, int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	return u.Hostname(), port
}

func TestHTTPProbe(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "fine") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "database down")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != UserAgent || r.Header.Get("X-Custom") != "yes" || r.Host != "example.test" || r.URL.RawQuery != "q=1" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/local-redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/fail", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/ok", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()
	host, port := splitHostPort(t, srv.URL)
	_, tlsPort := splitHostPort(t, tlsSrv.URL)
	ctr := &v1.Container{Name: "web", Ports: []v1.ContainerPort{{Name: "http", ContainerPort: int32(port)}}}

	tests := []struct {
		name       string
		get        v1.HTTPGetAction
		want       outcome
		msgPrefix  string
		timeoutSec int32
	}{
		{name: "200", get: v1.HTTPGetAction{Path: "/ok", Port: intstr.FromInt32(int32(port))}, want: outcomeSuccess, msgPrefix: "fine"},
		{name: "named port", get: v1.HTTPGetAction{Path: "ok", Port: intstr.FromString("http")}, want: outcomeSuccess},
		{name: "500", get: v1.HTTPGetAction{Path: "/fail", Port: intstr.FromInt32(int32(port))}, want: outcomeFailure, msgPrefix: "HTTP probe failed with statuscode: 500"},
		{name: "headers", get: v1.HTTPGetAction{Path: "/echo?q=1", Port: intstr.FromInt32(int32(port)), HTTPHeaders: []v1.HTTPHeader{{Name: "X-Custom", Value: "yes"}, {Name: "Host", Value: "example.test"}}}, want: outcomeSuccess},
		{name: "same-host redirect followed", get: v1.HTTPGetAction{Path: "/local-redirect", Port: intstr.FromInt32(int32(port))}, want: outcomeFailure, msgPrefix: "HTTP probe failed with statuscode: 500"},
		{name: "other-host redirect not followed", get: v1.HTTPGetAction{Path: "/away", Port: intstr.FromInt32(int32(port))}, want: outcomeWarning, msgPrefix: "Probe terminated redirects"},
		{name: "https without verification", get: v1.HTTPGetAction{Path: "/ok", Scheme: v1.URISchemeHTTPS, Port: intstr.FromInt32(int32(tlsPort))}, want: outcomeSuccess},
		{name: "timeout", get: v1.HTTPGetAction{Path: "/slow", Port: intstr.FromInt32(int32(port))}, want: outcomeFailure, timeoutSec: 1},
	}
	r := newRunner(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &tt.get}, TimeoutSeconds: tt.timeoutSec}
			got, msg, err := r.run(context.Background(), p, target{podIP: host, container: ctr})
			if err != nil || got != tt.want || !strings.HasPrefix(msg, tt.msgPrefix) {
				t.Fatalf("got %v %q %v; want %v %q...", got, msg, err, tt.want, tt.msgPrefix)
			}
		})
	}
	_, _, err := r.run(context.Background(), &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Port: intstr.FromString("nope")}}}, target{podIP: host, container: ctr})
	if err == nil || !strings.Contains(err.Error(), "couldn't find port: nope") {
		t.Fatalf("unknown named port: %v", err)
	}
}

func TestTCPProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	openPort := l.Addr().(*net.TCPAddr).Port
	defer l.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tests := []struct {
		name string
		port int
		want outcome
		msg  string
	}{
		{name: "open", port: openPort, want: outcomeSuccess},
		{name: "refused", port: closedPort, want: outcomeFailure, msg: "connection refused"},
	}
	r := newRunner(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(int32(tt.port))}}}
			got, msg, err := r.run(context.Background(), p, target{podIP: "127.0.0.1", container: &v1.Container{}})
			if err != nil || got != tt.want || !strings.Contains(msg, tt.msg) {
				t.Fatalf("got %v %q %v", got, msg, err)
			}
		})
	}
}

func startGRPC(t *testing.T, withHealth bool) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	if withHealth {
		healthpb.RegisterHealthServer(s, healthServer{statuses: map[string]healthpb.HealthCheckResponse_ServingStatus{
			"": healthpb.HealthCheckResponse_SERVING, "db": healthpb.HealthCheckResponse_NOT_SERVING,
		}})
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	return l.Addr().(*net.TCPAddr).Port
}

func TestGRPCProbe(t *testing.T) {
	healthy := startGRPC(t, true)
	bare := startGRPC(t, false)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tests := []struct {
		name      string
		port      int
		service   *string
		want      outcome
		msgPrefix string
	}{
		{name: "serving", port: healthy, want: outcomeSuccess, msgPrefix: "service is serving"},
		{name: "not serving", port: healthy, service: ptrTo("db"), want: outcomeFailure, msgPrefix: `service unhealthy (responded with "NOT_SERVING")`},
		{name: "no health service", port: bare, want: outcomeFailure, msgPrefix: "error: this server does not implement the grpc health protocol"},
		{name: "nothing listening", port: closedPort, want: outcomeFailure, msgPrefix: "timeout: failed to connect service"},
	}
	r := newRunner(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Probe{ProbeHandler: v1.ProbeHandler{GRPC: &v1.GRPCAction{Port: int32(tt.port), Service: tt.service}}}
			got, msg, err := r.run(context.Background(), p, target{podIP: "127.0.0.1", container: &v1.Container{}})
			if err != nil || got != tt.want || !strings.HasPrefix(msg, tt.msgPrefix) {
				t.Fatalf("got %v %q %v; want %v %q", got, msg, err, tt.want, tt.msgPrefix)
			}
		})
	}
}

// healthServer answers Health/Check from a fixed table of services.
type healthServer struct {
	healthpb.UnimplementedHealthServer
	statuses map[string]healthpb.HealthCheckResponse_ServingStatus
}

func (h healthServer) Check(_ context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st, ok := h.statuses[req.Service]
	if !ok {
		return nil, status.Error(codes.NotFound, "unknown service")
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

func ptrTo[T any](v T) *T { return &v }
