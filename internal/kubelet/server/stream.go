package server

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// streamFlags are the stream selections of exec and attach. Clients send
// stdin/stdout/stderr/tty (kubectl) or input/output/error/tty (upstream API
// server to kubelet); both are understood.
type streamFlags struct{ stdin, stdout, stderr, tty bool }

func parseStreamFlags(q url.Values) streamFlags {
	on := func(names ...string) bool {
		for _, n := range names {
			if v, err := strconv.ParseBool(q.Get(n)); err == nil && v {
				return true
			}
		}
		return false
	}
	return streamFlags{
		stdin:  on("stdin", "input"),
		stdout: on("stdout", "output"),
		stderr: on("stderr", "error"),
		tty:    on("tty"),
	}
}

// serveExec is /exec/{ns}/{pod}/{container}?command=…
func (s *Server) serveExec(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cmd := q["command"]
	if len(cmd) == 0 {
		s.fail(w, r, badRequest("you must specify at least 1 command"))
		return
	}
	id, err := s.runningContainer(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := parseStreamFlags(q)
	resp, err := s.opts.Runtime.Exec(r.Context(), &runtimeapi.ExecRequest{
		ContainerId: id, Cmd: cmd, Tty: f.tty, Stdin: f.stdin, Stdout: f.stdout, Stderr: f.stderr && !f.tty,
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("exec in container %s: %w", id, err))
		return
	}
	s.proxyStream(w, r, resp.Url)
}

// serveAttach is /attach/{ns}/{pod}/{container}.
func (s *Server) serveAttach(w http.ResponseWriter, r *http.Request) {
	id, err := s.runningContainer(r.Context(), r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := parseStreamFlags(r.URL.Query())
	resp, err := s.opts.Runtime.Attach(r.Context(), &runtimeapi.AttachRequest{
		ContainerId: id, Tty: f.tty, Stdin: f.stdin, Stdout: f.stdout, Stderr: f.stderr && !f.tty,
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("attach to container %s: %w", id, err))
		return
	}
	s.proxyStream(w, r, resp.Url)
}

// servePortForward is /portForward/{ns}/{pod}[?port=N…].
func (s *Server) servePortForward(w http.ResponseWriter, r *http.Request) {
	var ports []int32
	for _, p := range r.URL.Query()["port"] {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			s.fail(w, r, badRequest("invalid port %q: must be 1-65535", p))
			return
		}
		ports = append(ports, int32(n))
	}
	id, err := s.podSandbox(r.Context(), r.PathValue("ns"), r.PathValue("pod"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.opts.Runtime.PortForward(r.Context(), &runtimeapi.PortForwardRequest{PodSandboxId: id, Port: ports})
	if err != nil {
		s.fail(w, r, fmt.Errorf("port-forward to sandbox %s: %w", id, err))
		return
	}
	s.proxyStream(w, r, resp.Url)
}

// proxyStream hands the client's (upgrading) request to the runtime's
// streaming server at target, keeping the query and upgrade headers.
func (s *Server) proxyStream(w http.ResponseWriter, r *http.Request, target string) {
	u, err := url.Parse(target)
	if err != nil {
		s.fail(w, r, fmt.Errorf("runtime returned a bad streaming URL %q: %w", target, err))
		return
	}
	if u.Scheme == "" {
		u.Scheme = "http"
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.URL.Path = u.Scheme, u.Host, u.Path
			pr.Out.URL.RawPath = ""
			pr.Out.Host = u.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.fail(w, r, fmt.Errorf("proxy to runtime stream %s: %w", u.Host, err))
		},
	}
	rp.ServeHTTP(w, r)
}
