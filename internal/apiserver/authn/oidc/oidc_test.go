package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/authn/oidc/oidctest"
)

func TestAuthenticateToken(t *testing.T) {
	is := oidctest.Start(t)
	ca := is.WriteCA(t, t.TempDir())
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(now)
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{"iss": is.URL, "aud": "capstan", "sub": "alice-id", "exp": now.Add(time.Hour).Unix(),
			"iat": now.Add(-time.Minute).Unix(), "email": "alice@example.com", "groups": []string{"dev", "ops"}}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
				continue
			}
			c[k] = v
		}
		return c
	}
	base := Options{IssuerURL: is.URL, ClientID: "capstan", GroupsClaim: "groups", CAFile: ca, Clock: clk}
	with := func(f func(*Options)) Options { o := base; f(&o); return o }
	tests := []struct {
		name    string
		opts    Options
		token   string
		want    apiserver.User
		ok      bool
		wantErr string
	}{
		{name: "default prefix is issuer#", opts: base, token: is.Token(t, claims(nil)), ok: true,
			want: apiserver.User{Name: is.URL + "#alice-id", Groups: []string{"dev", "ops"}}},
		{name: "prefixes", opts: with(func(o *Options) { o.UsernamePrefix = "oidc:"; o.GroupsPrefix = "oidc:" }),
			token: is.Token(t, claims(nil)), ok: true, want: apiserver.User{Name: "oidc:alice-id", Groups: []string{"oidc:dev", "oidc:ops"}}},
		{name: "dash disables the prefix", opts: with(func(o *Options) { o.UsernamePrefix = "-" }),
			token: is.Token(t, claims(map[string]any{"groups": "solo"})), ok: true, want: apiserver.User{Name: "alice-id", Groups: []string{"solo"}}},
		{name: "email claim has no default prefix", opts: with(func(o *Options) { o.UsernameClaim = "email" }),
			token: is.Token(t, claims(map[string]any{"email_verified": true})), ok: true,
			want: apiserver.User{Name: "alice@example.com", Groups: []string{"dev", "ops"}}},
		{name: "email not verified", opts: with(func(o *Options) { o.UsernameClaim = "email" }),
			token: is.Token(t, claims(map[string]any{"email_verified": false})), wantErr: "email not verified"},
		{name: "required claim present", opts: with(func(o *Options) { o.RequiredClaims = map[string]string{"hd": "example.com"} }),
			token: is.Token(t, claims(map[string]any{"hd": "example.com", "groups": nil})), ok: true, want: apiserver.User{Name: is.URL + "#alice-id"}},
		{name: "required claim wrong", opts: with(func(o *Options) { o.RequiredClaims = map[string]string{"hd": "example.com"} }),
			token: is.Token(t, claims(map[string]any{"hd": "evil.com"})), wantErr: "does not match"},
		{name: "required claim missing", opts: with(func(o *Options) { o.RequiredClaims = map[string]string{"hd": "example.com"} }),
			token: is.Token(t, claims(nil)), wantErr: `"hd" not present`},
		{name: "missing username claim", opts: base, token: is.Token(t, claims(map[string]any{"sub": nil})), wantErr: `"sub" not present`},
		{name: "expired", opts: base, token: is.Token(t, claims(map[string]any{"exp": now.Add(-time.Minute).Unix()})), wantErr: "expired"},
		{name: "wrong audience", opts: base, token: is.Token(t, claims(map[string]any{"aud": "someone-else"})), wantErr: "audience"},
		{name: "bad signature", opts: base, token: is.ForeignToken(t, claims(nil)), wantErr: "verify"},
		{name: "other issuer is not ours", opts: base, token: is.Token(t, claims(map[string]any{"iss": "https://other.example"}))},
		{name: "not a JWT is not ours", opts: base, token: "abcdef.0123456789abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			u, ok, err := a.AuthenticateToken(context.Background(), tt.token)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ok {
					t.Fatalf("got ok=%v err=%v, want error containing %q", ok, err, tt.wantErr)
				}
				return
			}
			if err != nil || ok != tt.ok {
				t.Fatalf("got ok=%v err=%v, want ok=%v", ok, err, tt.ok)
			}
			if u.Name != tt.want.Name || !slices.Equal(u.Groups, tt.want.Groups) {
				t.Errorf("user = %+v, want %+v", u, tt.want)
			}
		})
	}
}

// TestLazyDiscovery: an issuer that is down fails only the tokens of that
// issuer, is retried no more than once per RetryInterval, and works once
// it is back.
func TestLazyDiscovery(t *testing.T) {
	is := oidctest.Start(t)
	is.SetDown(true)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(now)
	a, err := New(Options{IssuerURL: is.URL, ClientID: "capstan", CAFile: is.WriteCA(t, t.TempDir()), Clock: clk, RetryInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if n := is.Discoveries(); n != 0 {
		t.Fatalf("New contacted the issuer %d times; discovery must be lazy", n)
	}
	tok := is.Token(t, map[string]any{"iss": is.URL, "aud": "capstan", "sub": "bob", "exp": now.Add(time.Hour).Unix()})
	for i := 0; i < 3; i++ {
		if _, ok, err := a.AuthenticateToken(context.Background(), tok); ok || err == nil {
			t.Fatalf("attempt %d with the issuer down: ok=%v err=%v", i, ok, err)
		}
	}
	if n := is.Discoveries(); n != 1 {
		t.Errorf("discovery attempts within the retry interval = %d, want 1", n)
	}
	is.SetDown(false)
	if _, ok, _ := a.AuthenticateToken(context.Background(), tok); ok {
		t.Fatal("retried before the retry interval passed")
	}
	clk.Step(time.Minute)
	u, ok, err := a.AuthenticateToken(context.Background(), tok)
	if err != nil || !ok || u.Name != is.URL+"#bob" {
		t.Fatalf("after the issuer came back: %+v ok=%v err=%v", u, ok, err)
	}
	if n := is.Discoveries(); n != 2 {
		t.Errorf("discovery attempts = %d, want 2", n)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"http issuer", Options{IssuerURL: "http://issuer.example", ClientID: "c"}, "https"},
		{"query", Options{IssuerURL: "https://issuer.example?x=1", ClientID: "c"}, "query"},
		{"no client id", Options{IssuerURL: "https://issuer.example"}, "client ID"},
		{"symmetric algorithm", Options{IssuerURL: "https://issuer.example", ClientID: "c", SigningAlgs: []string{"RS256", "HS256"}}, `"HS256"`},
		{"missing CA file", Options{IssuerURL: "https://issuer.example", ClientID: "c", CAFile: "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%+v) = %v, want error containing %q", tt.opts, err, tt.want)
			}
		})
	}
}

func TestGroupsClaimTypes(t *testing.T) {
	tests := []struct {
		raw     string
		want    []string
		wantErr bool
	}{
		{`"one"`, []string{"one"}, false},
		{`["a","b"]`, []string{"a", "b"}, false},
		{`[]`, []string{}, false},
		{`42`, nil, true},
		{`[1,2]`, nil, true},
	}
	for _, tt := range tests {
		got, err := groupsClaim(map[string]json.RawMessage{"g": json.RawMessage(tt.raw)}, "g")
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("groupsClaim(%s) = %v, %v; want %v, err=%v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestConcurrentFirstTokens: tokens arriving together before discovery
// share one discovery.
func TestConcurrentFirstTokens(t *testing.T) {
	is := oidctest.Start(t)
	a, err := New(Options{IssuerURL: is.URL, ClientID: "capstan", CAFile: is.WriteCA(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	tok := is.Token(t, map[string]any{"iss": is.URL, "aud": "capstan", "sub": "carol", "exp": time.Now().Add(time.Hour).Unix()})
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, ok, err := a.AuthenticateToken(context.Background(), tok)
			if err == nil && !ok {
				err = errors.New("refused")
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := is.Discoveries(); n != 1 {
		t.Errorf("discoveries = %d, want 1", n)
	}
}
