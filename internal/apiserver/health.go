package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// healthCheck is one named check of /healthz, /livez and /readyz.
type healthCheck struct {
	name  string
	check func(ctx context.Context) error
}

func (s *Server) healthChecks() []healthCheck {
	checks := []healthCheck{
		{"ping", func(context.Context) error { return nil }},
		{"log", func(context.Context) error { return nil }},
		{"etcd", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := s.store.CurrentRevision(ctx)
			return err
		}},
	}
	for _, h := range s.cfg.ReadyHooks {
		checks = append(checks, healthCheck{"poststarthook/" + h.Name, h.Check})
	}
	return checks
}

// registerHealth mounts /healthz, /livez and /readyz, each with ?verbose,
// ?exclude=NAME and /<path>/<check> for one check, as upstream.
func (s *Server) registerHealth(mux *http.ServeMux) {
	for _, name := range []string{"healthz", "livez", "readyz"} {
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) { s.serveHealth(w, r, name, "") })
		mux.HandleFunc("GET /"+name+"/{check}", func(w http.ResponseWriter, r *http.Request) {
			s.serveHealth(w, r, name, r.PathValue("check"))
		})
	}
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request, path, only string) {
	excluded := map[string]bool{}
	for _, e := range r.URL.Query()["exclude"] {
		excluded[e] = true
	}
	var b strings.Builder
	failed, found := false, only == ""
	for _, c := range s.healthChecks() {
		if (only != "" && c.name != only) || excluded[c.name] {
			continue
		}
		found = true
		if err := c.check(r.Context()); err != nil {
			failed = true
			fmt.Fprintf(&b, "[-]%s failed: reason withheld\n", c.name)
			s.log.Warn("health check failed", "check", c.name, "err", err)
			continue
		}
		fmt.Fprintf(&b, "[+]%s ok\n", c.name)
	}
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	verbose := r.URL.Query().Has("verbose")
	switch {
	case failed:
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "%s%s check failed\n", b.String(), path)
	case verbose:
		fmt.Fprintf(w, "%s%s check passed\n", b.String(), path)
	default:
		fmt.Fprint(w, "ok")
	}
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return []byte("{}")
	}
	return b
}
