package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/clock"
)

// Runtime is the part of the CRI runtime service the server uses.
type Runtime interface {
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ContainerStatus(ctx context.Context, containerID string, verbose bool) (*runtimeapi.ContainerStatusResponse, error)
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
	Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error)
	Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error)
	PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error)
	ListContainerStats(ctx context.Context, filter *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error)
}

// CRI labels the kubelet puts on sandboxes and containers.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// Options configure a Server.
type Options struct {
	Runtime Runtime
	// Pod returns the kubelet's current view of a pod (nil when unknown); it
	// narrows lookups to the pod's UID and explains waiting containers.
	Pod func(namespace, name string) *v1.Pod
	// Authorize admits a verified client certificate chain's leaf. Requests
	// without a verified certificate get 401, refused ones 403. Nil admits
	// every request (tests without TLS).
	Authorize func(cert *x509.Certificate) bool
	// NodeName names the node in /stats/summary; NodeUsage samples the
	// node's own CPU and memory (nil: not reported).
	NodeName  string
	NodeUsage func() (NodeUsage, error)
	Log       *slog.Logger
	Clock     clock.WithTicker
	// FollowPoll is how often a followed log is checked for growth (250ms).
	FollowPoll time.Duration
}

// Server serves the kubelet API.
type Server struct {
	opts Options
	mux  *http.ServeMux
}

// New returns a Server for opts.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.FollowPoll == 0 {
		opts.FollowPoll = 250 * time.Millisecond
	}
	if opts.Pod == nil {
		opts.Pod = func(string, string) *v1.Pod { return nil }
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	s.mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", s.serveLogs)
	s.mux.HandleFunc("/exec/{ns}/{pod}/{container}", s.serveExec)
	s.mux.HandleFunc("/attach/{ns}/{pod}/{container}", s.serveAttach)
	s.mux.HandleFunc("/portForward/{ns}/{pod}", s.servePortForward)
	s.mux.HandleFunc("GET /metrics/resource", s.serveResourceMetrics)
	s.mux.HandleFunc("GET /stats/summary", s.serveSummary)
	return s
}

// ServeHTTP authenticates the caller and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Authorize != nil {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if !s.opts.Authorize(r.TLS.VerifiedChains[0][0]) {
			http.Error(w, fmt.Sprintf("Forbidden (user=%s, verb=%s, resource=nodes, subresource=proxy)",
				r.TLS.VerifiedChains[0][0].Subject.CommonName, strings.ToLower(r.Method)), http.StatusForbidden)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// httpError is an error with the status code the client gets.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	if he, ok := err.(*httpError); ok {
		code = he.code
	} else {
		s.opts.Log.Warn("kubelet api request failed", "path", r.URL.Path, "err", err)
	}
	http.Error(w, err.Error(), code)
}

// containers returns the CRI containers of one container of a pod, newest
// first.
func (s *Server) containers(ctx context.Context, ns, pod, container string) ([]*runtimeapi.Container, error) {
	sel := map[string]string{labelPodNamespace: ns, labelPodName: pod, labelContainerName: container}
	if p := s.opts.Pod(ns, pod); p != nil {
		sel[labelPodUID] = string(p.UID)
	}
	list, err := s.opts.Runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list containers of pod %s/%s: %w", ns, pod, err)
	}
	slices.SortFunc(list, func(a, b *runtimeapi.Container) int {
		if a.GetMetadata().GetAttempt() != b.GetMetadata().GetAttempt() {
			return int(b.GetMetadata().GetAttempt()) - int(a.GetMetadata().GetAttempt())
		}
		return int(b.CreatedAt - a.CreatedAt)
	})
	return list, nil
}

// runningContainer finds the current container for exec and attach.
func (s *Server) runningContainer(ctx context.Context, ns, pod, container string) (string, error) {
	list, err := s.containers(ctx, ns, pod, container)
	if err != nil {
		return "", err
	}
	if len(list) == 0 || list[0].State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return "", s.notRunning(ns, pod, container)
	}
	return list[0].Id, nil
}

// notRunning explains, as upstream does, why a container has nothing to
// offer yet.
func (s *Server) notRunning(ns, pod, container string) error {
	reason := "ContainerCreating"
	if p := s.opts.Pod(ns, pod); p != nil {
		for _, st := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
			if st.Name == container && st.State.Waiting != nil && st.State.Waiting.Reason != "" {
				reason = st.State.Waiting.Reason
			}
		}
	}
	return badRequest("container %q in pod %q is waiting to start: %s", container, pod, reason)
}

// podSandbox finds the ready sandbox of a pod for port-forward.
func (s *Server) podSandbox(ctx context.Context, ns, pod string) (string, error) {
	sel := map[string]string{labelPodNamespace: ns, labelPodName: pod}
	if p := s.opts.Pod(ns, pod); p != nil {
		sel[labelPodUID] = string(p.UID)
	}
	list, err := s.opts.Runtime.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{
		LabelSelector: sel,
		State:         &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY},
	})
	if err != nil {
		return "", fmt.Errorf("list sandboxes of pod %s/%s: %w", ns, pod, err)
	}
	if len(list) == 0 {
		return "", &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("pod %q not found", types.NamespacedName{Namespace: ns, Name: pod})}
	}
	return list[0].Id, nil
}
