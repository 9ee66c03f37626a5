package webhook_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/authn/webhook/webhooktest"
	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/apiserver/authz/webhook"
)

// BenchmarkDecide compares a cached answer with a call to the service
// (loopback TLS, keep-alive).
func BenchmarkDecide(b *testing.B) {
	svc := &sarService{t: b}
	srv := httptest.NewTLSServer(svc)
	b.Cleanup(srv.Close)
	cfg := webhooktest.Kubeconfig(b, srv, "/authorize")
	a := apiserver.Attributes{User: apiserver.User{Name: "alice", Groups: []string{"g"}}, ResourceRequest: true,
		Verb: "get", Version: "v1", Resource: "pods", Namespace: "default", Name: "p"}
	for _, c := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", time.Hour}, {"uncached", 0}} {
		b.Run(c.name, func(b *testing.B) {
			z, err := webhook.New(webhook.Options{ConfigFile: cfg, AuthorizedTTL: c.ttl})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if d, _, _ := z.Decide(context.Background(), a); d != authz.DecisionAllow {
					b.Fatal(d)
				}
			}
		})
	}
}
