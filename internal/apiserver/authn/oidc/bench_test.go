package oidc

import (
	"context"
	"testing"
	"time"

	"github.com/capstan/capstan/internal/apiserver/authn/oidc/oidctest"
)

// BenchmarkAuthenticateToken is the cost of one ID token once the issuer's
// keys are known: RS256 signature check, claims decode and mapping.
func BenchmarkAuthenticateToken(b *testing.B) {
	is := oidctest.Start(b)
	a, err := New(Options{IssuerURL: is.URL, ClientID: "capstan", GroupsClaim: "groups", CAFile: is.WriteCA(b, b.TempDir())})
	if err != nil {
		b.Fatal(err)
	}
	tok := is.Token(b, map[string]any{"iss": is.URL, "aud": "capstan", "sub": "alice", "groups": []string{"a", "b"},
		"exp": time.Now().Add(time.Hour).Unix()})
	if _, ok, err := a.AuthenticateToken(context.Background(), tok); !ok || err != nil {
		b.Fatal(ok, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := a.AuthenticateToken(context.Background(), tok); !ok {
			b.Fatal("refused")
		}
	}
}
