package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver/authn/webhook"
	"github.com/capstan/capstan/internal/apiserver/authn/webhook/webhooktest"
)

// tokenService is a fake remote: "good" is alice, "broken" makes it answer
// 500, "garbage" makes it answer something that is not JSON; every other
// token is refused.
type tokenService struct {
	calls atomic.Int64
	t     *testing.T
}

func (s *tokenService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/authenticate" || r.Header.Get("Authorization") != "Bearer webhook-client-token" {
		s.t.Errorf("unexpected request %s %s auth=%q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}
	var rev authenticationv1.TokenReview
	if err := json.NewDecoder(r.Body).Decode(&rev); err != nil || rev.Kind != "TokenReview" || rev.APIVersion != "authentication.k8s.io/v1" {
		s.t.Errorf("bad review %+v: %v", rev, err)
	}
	switch rev.Spec.Token {
	case "good":
		rev.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{
			Username: "alice", UID: "42", Groups: []string{"dev"}, Extra: map[string]authenticationv1.ExtraValue{"scopes": {"a", "b"}}}}
	case "broken":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "garbage":
		_, _ = w.Write([]byte("<html>"))
		return
	default:
		rev.Status = authenticationv1.TokenReviewStatus{Error: "unknown token"}
	}
	_ = json.NewEncoder(w).Encode(rev)
}

func TestAuthenticateToken(t *testing.T) {
	svc := &tokenService{t: t}
	srv := httptest.NewTLSServer(svc)
	t.Cleanup(srv.Close)
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	a, err := webhook.New(webhook.Options{ConfigFile: webhooktest.Kubeconfig(t, srv, "/authenticate"), CacheTTL: 2 * time.Minute, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name      string
		token     string
		step      time.Duration
		wantOK    bool
		wantErr   string
		wantCalls int64 // total calls to the service after the step
	}{
		{name: "accepted", token: "good", wantOK: true, wantCalls: 1},
		{name: "accepted again is cached", token: "good", step: time.Minute, wantOK: true, wantCalls: 1},
		{name: "cache expires after 2m", token: "good", step: time.Minute, wantOK: true, wantCalls: 2},
		{name: "refused", token: "nope", wantCalls: 3},
		{name: "refusal is cached", token: "nope", wantCalls: 3},
		{name: "service error", token: "broken", wantErr: "500", wantCalls: 4},
		{name: "service error is not cached", token: "broken", wantErr: "500", wantCalls: 5},
		{name: "garbage answer", token: "garbage", wantErr: "decode", wantCalls: 6},
	}
	for _, s := range steps {
		clk.Step(s.step)
		u, ok, err := a.AuthenticateToken(ctx, s.token)
		switch {
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Errorf("%s: err = %v, want %q", s.name, err, s.wantErr)
		case s.wantErr == "" && err != nil:
			t.Errorf("%s: err = %v", s.name, err)
		case ok != s.wantOK:
			t.Errorf("%s: ok = %v, want %v", s.name, ok, s.wantOK)
		}
		if s.wantOK && (u.Name != "alice" || u.UID != "42" || !slices.Equal(u.Groups, []string{"dev"}) || !slices.Equal(u.Extra["scopes"], []string{"a", "b"})) {
			t.Errorf("%s: user = %+v", s.name, u)
		}
		if got := svc.calls.Load(); got != s.wantCalls {
			t.Errorf("%s: service calls = %d, want %d", s.name, got, s.wantCalls)
		}
	}
}

func TestServiceDown(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	cfg := webhooktest.Kubeconfig(t, srv, "/authenticate")
	srv.Close()
	a, err := webhook.New(webhook.Options{ConfigFile: cfg, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.AuthenticateToken(context.Background(), "good"); ok || err == nil {
		t.Fatalf("service down: ok=%v err=%v, want an error", ok, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.kubeconfig")
	if err := os.WriteFile(bad, []byte("clusters: [this is not a kubeconfig"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.kubeconfig")
	if err := os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{filepath.Join(dir, "missing"), bad, empty} {
		if _, err := webhook.New(webhook.Options{ConfigFile: file}); err == nil || !strings.Contains(err.Error(), file) {
			t.Errorf("New(%s) = %v, want an error naming the file", file, err)
		}
	}
}

func TestCacheBound(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	c := webhook.NewCache[int, string](clk, 3)
	c.Set(1, "a", time.Second)
	c.Set(2, "b", time.Minute)
	c.Set(3, "c", time.Minute)
	clk.Step(2 * time.Second)
	c.Set(4, "d", time.Minute) // evicts the expired 1 only
	if _, ok := c.Get(2); !ok || c.Len() != 3 {
		t.Fatalf("after evicting expired entries: len %d, 2 present %v", c.Len(), ok)
	}
	c.Set(5, "e", time.Minute) // nothing expired: starts over
	if v, ok := c.Get(5); !ok || v != "e" || c.Len() != 1 {
		t.Fatalf("full cache without expired entries: len %d", c.Len())
	}
	c.Set(6, "f", 0)
	if _, ok := c.Get(6); ok {
		t.Fatal("ttl 0 stored a value")
	}
}

func TestZeroTTLDisablesCache(t *testing.T) {
	svc := &tokenService{t: t}
	srv := httptest.NewTLSServer(svc)
	t.Cleanup(srv.Close)
	a, err := webhook.New(webhook.Options{ConfigFile: webhooktest.Kubeconfig(t, srv, "/authenticate")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, ok, err := a.AuthenticateToken(context.Background(), "good"); !ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	}
	if n := svc.calls.Load(); n != 2 {
		t.Errorf("service calls = %d, want 2 without a cache", n)
	}
}
