package serviceaccount

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver"
)

// TestCachedVerification: the cache spares the signature check of a token
// seen recently, never the checks of times and objects, so revocation
// stays immediate.
func TestCachedVerification(t *testing.T) {
	key := newKey(t)
	iss := newIssuer(t, DefaultIssuer, key)
	forged := newIssuer(t, DefaultIssuer, newKey(t))
	sign := func(i *Issuer, life time.Duration) string {
		spec := podToken(t0)
		spec.Pod, spec.Node, spec.Expires = nil, nil, t0.Add(life)
		s, err := i.IssueToken(spec)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	legacy, err := iss.LegacyToken("ns", "sa", "sa-uid", "s")
	if err != nil {
		t.Fatal(err)
	}
	hour, short, bad := sign(iss, time.Hour), sign(iss, 5*time.Second), sign(forged, time.Hour)
	type step struct {
		at         time.Duration // since t0
		token      string
		objectsUp  bool // account and Secret exist
		wantOK     bool
		wantCached int // cache entries after the step
		auds       []string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"verified token is remembered, then verified again", []step{
			{0, hour, true, true, 1, nil}, {9 * time.Second, hour, true, true, 1, nil}, {10 * time.Second, hour, true, true, 1, nil}}},
		{"deleted account revokes a cached token at once", []step{
			{0, hour, true, true, 1, nil}, {time.Second, hour, false, false, 1, nil}}},
		{"deleted secret revokes a cached legacy token at once", []step{
			{0, legacy, true, true, 1, nil}, {time.Second, legacy, false, false, 1, nil}}},
		{"bad signature is not remembered", []step{
			{0, bad, true, false, 0, nil}, {time.Second, bad, true, false, 0, nil}}},
		{"entry ends when the token expires", []step{
			{0, short, true, true, 1, nil}, {4 * time.Second, short, true, true, 1, nil},
			{6 * time.Second, short, true, true, 0, nil}, // within go-jose's minute of leeway
			{2 * time.Minute, short, true, false, 0, nil}}},
		{"audiences are checked on every use", []step{
			{0, hour, true, true, 1, nil}, {time.Second, hour, true, false, 1, []string{"vault"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktesting.NewFakePassiveClock(t0)
			o := &objects{m: map[string]runtime.Object{}}
			a := NewAuthenticator(iss, o, clk, nil).CacheFor(DefaultCacheTTL)
			for i, s := range tt.steps {
				clk.SetTime(t0.Add(s.at))
				delete(o.m, "serviceaccounts/ns/sa")
				delete(o.m, "secrets/ns/s")
				if s.objectsUp {
					o.put("serviceaccounts", "ns", "sa", "sa-uid", nil)
					o.m["secrets/ns/s"] = tokenSecret(legacy, nil)
				}
				ctx := context.Background()
				if s.auds != nil {
					ctx = apiserver.WithAudiences(ctx, s.auds)
				}
				if _, ok, err := a.AuthenticateToken(ctx, s.token); ok != s.wantOK || err != nil {
					t.Fatalf("step %d: ok=%v err=%v, want ok=%v", i, ok, err, s.wantOK)
				}
				if n := len(a.cache.entries); n != s.wantCached {
					t.Fatalf("step %d: %d cache entries, want %d", i, n, s.wantCached)
				}
			}
		})
	}
}

func TestTokenCacheBounded(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(t0)
	c := newTokenCache(time.Minute, clk)
	for i := range cacheSize + 10 {
		c.put(cacheKey(fmt.Sprint(i)), &verified{}, time.Time{})
	}
	if len(c.entries) > cacheSize {
		t.Fatalf("%d entries, bound %d", len(c.entries), cacheSize)
	}
	if _, ok := c.get(cacheKey(fmt.Sprint(cacheSize + 9))); !ok {
		t.Fatal("newest entry lost")
	}
	clk.SetTime(t0.Add(time.Minute))
	if _, ok := c.get(cacheKey(fmt.Sprint(cacheSize + 9))); ok {
		t.Fatal("entry outlived its TTL")
	}
}
