package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/capstan/capstan/internal/pki"
)

// fakeRuntime holds containers in memory; Exec and friends return the
// configured stream URL.
type fakeRuntime struct {
	containers []*runtimeapi.Container
	logs       map[string]string // container ID → log path
	sandboxes  []*runtimeapi.PodSandbox
	streamURL  string
	lastExec   *runtimeapi.ExecRequest
}

func (f *fakeRuntime) ListContainers(_ context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	var out []*runtimeapi.Container
	for _, c := range f.containers {
		if matches(c.Labels, filter.GetLabelSelector()) {
			out = append(out, c)
		}
	}
	return out, nil
}

func matches(labels, sel map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	for _, c := range f.containers {
		if c.Id == id {
			return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: id, State: c.State, LogPath: f.logs[id]}}, nil
		}
	}
	return nil, os.ErrNotExist
}

func (f *fakeRuntime) ListPodSandbox(_ context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	var out []*runtimeapi.PodSandbox
	for _, s := range f.sandboxes {
		if matches(s.Labels, filter.GetLabelSelector()) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeRuntime) ListContainerStats(context.Context, *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	var out []*runtimeapi.ContainerStats
	for i, c := range f.containers {
		out = append(out, &runtimeapi.ContainerStats{
			Attributes: &runtimeapi.ContainerAttributes{Id: c.Id},
			Cpu:        &runtimeapi.CpuUsage{Timestamp: 1e18, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: uint64(i+1) * 1e9}},
			Memory:     &runtimeapi.MemoryUsage{Timestamp: 1e18, WorkingSetBytes: &runtimeapi.UInt64Value{Value: uint64(i+1) << 20}},
		})
	}
	return out, nil
}

func (f *fakeRuntime) Exec(_ context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	f.lastExec = req
	return &runtimeapi.ExecResponse{Url: f.streamURL + "/exec/token"}, nil
}

func (f *fakeRuntime) Attach(context.Context, *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return &runtimeapi.AttachResponse{Url: f.streamURL + "/attach/token"}, nil
}

func (f *fakeRuntime) PortForward(context.Context, *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return &runtimeapi.PortForwardResponse{Url: f.streamURL + "/portforward/token"}, nil
}

func container(id, name string, attempt uint32, state runtimeapi.ContainerState) *runtimeapi.Container {
	return &runtimeapi.Container{
		Id: id, State: state, Metadata: &runtimeapi.ContainerMetadata{Name: name, Attempt: attempt},
		Labels: map[string]string{labelPodNamespace: "ns", labelPodName: "web", labelPodUID: "uid-1", labelContainerName: name},
	}
}

const criLog = `2026-11-27T21:00:01.000000000Z stdout F one
2026-11-27T21:00:02.000000000Z stderr F two
2026-11-27T21:00:03.000000000Z stdout P thr
2026-11-27T21:00:03.500000000Z stdout F ee
2026-11-27T21:00:04.000000000Z stdout F four
`

func newTestServer(t *testing.T) (*httptest.Server, *fakeRuntime) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rt := &fakeRuntime{
		containers: []*runtimeapi.Container{
			container("c0", "app", 0, runtimeapi.ContainerState_CONTAINER_EXITED),
			container("c1", "app", 1, runtimeapi.ContainerState_CONTAINER_RUNNING),
		},
		logs: map[string]string{"c0": write("0.log", "2026-11-27T20:00:00Z stdout F crashed\n"), "c1": write("1.log", criLog)},
	}
	pod := &v1.Pod{Status: v1.PodStatus{ContainerStatuses: []v1.ContainerStatus{
		{Name: "init", State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "PodInitializing"}}},
	}}}
	pod.UID = "uid-1"
	srv := httptest.NewServer(New(Options{Runtime: rt, Pod: func(ns, name string) *v1.Pod {
		if ns == "ns" && name == "web" {
			return pod
		}
		return nil
	}}))
	t.Cleanup(srv.Close)
	return srv, rt
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestContainerLogs(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, tc := range []struct {
		name, query string
		code        int
		body        string
	}{
		{"all", "", 200, "one\ntwo\nthree\nfour\n"},
		{"tail", "?tailLines=2", 200, "ee\nfour\n"},
		{"tail zero", "?tailLines=0", 200, ""},
		{"tail beyond", "?tailLines=50", 200, "one\ntwo\nthree\nfour\n"},
		{"timestamps", "?tailLines=1&timestamps=true", 200, "2026-11-27T21:00:04Z four\n"},
		{"limit", "?limitBytes=6", 200, "one\ntw"},
		{"since", "?sinceTime=2026-11-27T21:00:02Z", 200, "two\nthree\nfour\n"},
		{"previous", "?previous=true", 200, "crashed\n"},
		{"bad tail", "?tailLines=-1", 400, "invalid tailLines \"-1\": must be a non-negative integer\n"},
		{"bad follow", "?follow=yes", 400, "invalid follow \"yes\": must be true or false\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, srv.URL+"/containerLogs/ns/web/app"+tc.query)
			if code != tc.code || body != tc.body {
				t.Errorf("got %d %q, want %d %q", code, body, tc.code, tc.body)
			}
		})
	}
}

func TestContainerLogsMissing(t *testing.T) {
	srv, rt := newTestServer(t)
	rt.containers = rt.containers[1:]
	for path, want := range map[string]string{
		"/containerLogs/ns/web/init":              "container \"init\" in pod \"web\" is waiting to start: PodInitializing\n",
		"/containerLogs/ns/web/app?previous=true": "previous terminated container \"app\" in pod \"web\" not found\n",
		"/containerLogs/ns/other/app":             "container \"app\" in pod \"other\" is waiting to start: ContainerCreating\n",
		"/exec/ns/web/init?command=sh":            "container \"init\" in pod \"web\" is waiting to start: PodInitializing\n",
		"/exec/ns/web/app":                        "you must specify at least 1 command\n",
		"/portForward/ns/web?port=70000":          "invalid port \"70000\": must be 1-65535\n",
		"/portForward/ns/nothing?port=80":         "pod \"ns/nothing\" not found\n",
	} {
		code, body := get(t, srv.URL+path)
		if code/100 != 4 || body != want {
			t.Errorf("%s: got %d %q, want 4xx %q", path, code, body, want)
		}
	}
}

func TestContainerLogsFollowEndsWhenContainerExits(t *testing.T) {
	srv, rt := newTestServer(t)
	logPath := rt.logs["c1"]
	resp, err := http.Get(srv.URL + "/containerLogs/ns/web/app?follow=true&tailLines=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "four\n" {
		t.Fatalf("first line: %q %v", buf, err)
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("2026-11-27T21:00:05Z stdout F five\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rt.containers[1].State = runtimeapi.ContainerState_CONTAINER_EXITED
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "five\n" {
		t.Fatalf("rest of followed log: %q %v", rest, err)
	}
}

// TestStreamsProxyToRuntime checks that exec reaches the runtime's stream
// server with the command and stream flags, and attach and port-forward
// land on their stream URLs.
func TestStreamsProxyToRuntime(t *testing.T) {
	srv, rt := newTestServer(t)
	var seen []string
	stream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer stream.Close()
	rt.streamURL = stream.URL
	rt.sandboxes = []*runtimeapi.PodSandbox{{Id: "s1", Labels: rt.containers[1].Labels}}
	for _, path := range []string{
		"/exec/ns/web/app?command=ls&command=-l&stdin=true&stdout=1&tty=true&stderr=true",
		"/attach/ns/web/app?stdout=true",
		"/portForward/ns/web?port=8080",
	} {
		if code, _ := get(t, srv.URL+path); code != http.StatusTeapot {
			t.Errorf("%s: got %d, want the stream server's 418", path, code)
		}
	}
	want := []string{"GET /exec/token", "GET /attach/token", "GET /portforward/token"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("stream server saw %v, want %v", seen, want)
	}
	e := rt.lastExec
	if e.ContainerId != "c1" || strings.Join(e.Cmd, " ") != "ls -l" || !e.Stdin || !e.Stdout || !e.Tty || e.Stderr {
		t.Errorf("exec request %+v", e)
	}
}

func TestAuthorize(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("test-ca", now)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	srv := httptest.NewUnstartedServer(New(Options{Runtime: &fakeRuntime{}, Authorize: func(c *x509.Certificate) bool {
		return c.Subject.CommonName == "kube-apiserver-kubelet-client"
	}}))
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	for _, tc := range []struct {
		cn   string
		code int
	}{{"", http.StatusUnauthorized}, {"someone", http.StatusForbidden}, {"kube-apiserver-kubelet-client", http.StatusOK}} {
		client := srv.Client()
		if tc.cn != "" {
			kp, err := ca.Issue(pki.LeafSpec{CommonName: tc.cn}, now)
			if err != nil {
				t.Fatal(err)
			}
			client.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{kp.Cert.Raw}, PrivateKey: kp.Key}}
		}
		resp, err := client.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("client %q: got %d, want %d", tc.cn, resp.StatusCode, tc.code)
		}
	}
}
