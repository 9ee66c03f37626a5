package serviceaccount

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
)

// BenchmarkAuthenticateToken measures one pod-bound token check: parse,
// ES256 verification, claims, and the account and pod reads (in memory here;
// through etcd they add a store read each).
func BenchmarkAuthenticateToken(b *testing.B) {
	iss := newIssuer(b, DefaultIssuer, newKey(b))
	tok, err := iss.IssueToken(podToken(t0))
	if err != nil {
		b.Fatal(err)
	}
	o := &objects{m: map[string]runtime.Object{}}
	o.put("serviceaccounts", "ns", "sa", "sa-uid", nil)
	o.put("pods", "ns", "p", "pod-uid", nil)
	a := NewAuthenticator(iss, o, clocktesting.NewFakePassiveClock(t0), nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := a.AuthenticateToken(ctx, tok); !ok || err != nil {
			b.Fatalf("ok=%v err=%v", ok, err)
		}
	}
}

// BenchmarkIssueToken measures signing one pod-bound token.
func BenchmarkIssueToken(b *testing.B) {
	iss := newIssuer(b, DefaultIssuer, newKey(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.IssueToken(podToken(t0)); err != nil {
			b.Fatal(err)
		}
	}
}
