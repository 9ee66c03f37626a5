package apiserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/audit"
)

// byID returns the events of one audit ID.
func (l *eventLog) byID(id string) []audit.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []audit.Event
	for _, e := range l.events {
		if string(e.AuditID) == id {
			out = append(out, e)
		}
	}
	return out
}

// TestAuditFailedAuthentication: a request that fails authentication is
// audited as upstream: one ResponseStarted event, no user, 401 and the
// credentials tried.
func TestAuditFailedAuthentication(t *testing.T) {
	srv, log := startAudited(t)
	h := srv.API.Handler() // no test-admin injected: real authentication
	for _, tc := range []struct {
		name, auth, want string
	}{
		{"bad bearer", "Bearer not-a-token", "Authentication failed, attempted: bearer"},
		{"basic", "Basic dTpw", "Authentication failed, attempted: basic"},
		{"nothing", "", "Authentication failed, no credentials provided"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/namespaces/default/configmaps/c1", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			id := w.Header().Get("Audit-Id")
			if w.Code != http.StatusUnauthorized || len(id) != 36 {
				t.Fatalf("code %d, Audit-Id %q", w.Code, id)
			}
			evs := log.byID(id)
			if len(evs) != 1 {
				t.Fatalf("events %+v, want one", evs)
			}
			e := evs[0]
			if e.Stage != audit.StageResponseStarted || e.User.Username != "" || len(e.User.Groups) != 0 ||
				e.ResponseStatus.Code != 401 || e.ResponseStatus.Message != tc.want || e.Verb != "get" ||
				e.ObjectRef == nil || e.ObjectRef.Resource != "configmaps" || e.ObjectRef.Name != "c1" {
				t.Fatalf("event %+v status %+v", e, e.ResponseStatus)
			}
		})
	}
}

// gate blocks authorization of configmap "slow" until released, holding
// the request's in-flight slot; it denies secrets with a reason.
type gate struct {
	apiserver.AllowAll
	entered, release chan struct{}
}

func (g gate) Authorize(_ context.Context, a apiserver.Attributes) (bool, string, error) {
	if a.Name == "slow" {
		g.entered <- struct{}{}
		<-g.release
	}
	if a.Resource == "secrets" {
		return false, "secrets are off limits", nil
	}
	return true, "allowed by the test", nil
}

func TestAuditTooManyRequestsAndAuthorization(t *testing.T) {
	p, err := audit.ParsePolicy([]byte(auditPolicy))
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	g := gate{entered: make(chan struct{}), release: make(chan struct{})}
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		c.Audit, c.Authorizer, c.MaxReadInFlight = audit.NewLogger(p, log, nil), g, 1
	})
	get := func(path string) *http.Response {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return nil
		}
		resp.Body.Close()
		return resp
	}
	done := make(chan struct{})
	go func() { defer close(done); get("/api/v1/namespaces/default/configmaps/slow") }()
	<-g.entered
	busy := get("/api/v1/namespaces/default/configmaps/other")
	close(g.release)
	<-done
	if busy == nil || busy.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second read: %+v, want 429", busy)
	}
	evs := log.byID(busy.Header.Get("Audit-Id"))
	if len(evs) != 2 || evs[1].Stage != audit.StageResponseComplete || evs[1].ResponseStatus.Code != 429 ||
		evs[1].User.Username != "test-admin" {
		t.Fatalf("429 events %+v", evs)
	}

	for _, tc := range []struct {
		path, decision, reason string
	}{
		{"/api/v1/namespaces/default/configmaps/missing", "allow", "allowed by the test"},
		{"/api/v1/namespaces/default/secrets/s", "forbid", "secrets are off limits"},
	} {
		resp := get(tc.path)
		if resp == nil {
			continue
		}
		evs := log.byID(resp.Header.Get("Audit-Id"))
		if len(evs) != 2 {
			t.Fatalf("%s: events %+v", tc.path, evs)
		}
		a := evs[1].Annotations
		if a["authorization.k8s.io/decision"] != tc.decision || a["authorization.k8s.io/reason"] != tc.reason {
			t.Errorf("%s: annotations %v, want %s %q", tc.path, a, tc.decision, tc.reason)
		}
	}
}

// TestAuditIDWithoutAudit: upstream sets Audit-Id on every response, also
// when no audit backend is configured and when authentication fails.
func TestAuditIDWithoutAudit(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	h := srv.API.Handler()
	for _, path := range []string{"/version", "/api/v1/namespaces"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if len(w.Header().Get("Audit-Id")) != 36 {
			t.Errorf("%s (%d): Audit-Id %q", path, w.Code, w.Header().Get("Audit-Id"))
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/version", nil)
	r.Header.Set("Audit-ID", "mine")
	h.ServeHTTP(w, r)
	if w.Header().Get("Audit-Id") != "mine" {
		t.Errorf("client Audit-ID not reused: %q", w.Header().Get("Audit-Id"))
	}
}
