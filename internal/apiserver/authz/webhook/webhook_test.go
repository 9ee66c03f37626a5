package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/authn/webhook/webhooktest"
	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/apiserver/authz/webhook"
)

// sarService is a fake remote: it allows user "alice", denies "mallory"
// outright, answers 500 for "broken", and has no opinion on anyone else.
type sarService struct {
	t     testing.TB
	calls atomic.Int64
	last  atomic.Pointer[authorizationv1.SubjectAccessReview]
}

func (s *sarService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	var sar authorizationv1.SubjectAccessReview
	if err := json.NewDecoder(r.Body).Decode(&sar); err != nil || sar.Kind != "SubjectAccessReview" || sar.APIVersion != "authorization.k8s.io/v1" {
		s.t.Errorf("bad review %+v: %v", sar, err)
	}
	s.last.Store(&sar)
	switch sar.Spec.User {
	case "alice":
		sar.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "alice may"}
	case "mallory":
		sar.Status = authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "mallory is banned"}
	case "broken":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(sar)
}

func TestDecide(t *testing.T) {
	svc := &sarService{t: t}
	srv := httptest.NewTLSServer(svc)
	t.Cleanup(srv.Close)
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	z, err := webhook.New(webhook.Options{ConfigFile: webhooktest.Kubeconfig(t, srv, "/authorize"),
		AuthorizedTTL: 5 * time.Minute, UnauthorizedTTL: 30 * time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	get := func(user string) apiserver.Attributes {
		return apiserver.Attributes{User: apiserver.User{Name: user, Groups: []string{"g"}}, ResourceRequest: true,
			Verb: "get", Version: "v1", Resource: "pods", Namespace: "default", Name: "p"}
	}
	steps := []struct {
		name       string
		a          apiserver.Attributes
		step       time.Duration
		want       authz.Decision
		wantReason string
		wantCalls  int64
	}{
		{name: "allowed", a: get("alice"), want: authz.DecisionAllow, wantReason: "alice may", wantCalls: 1},
		{name: "allowed is cached 5m", a: get("alice"), step: 4 * time.Minute, want: authz.DecisionAllow, wantReason: "alice may", wantCalls: 1},
		{name: "allowed cache expires", a: get("alice"), step: time.Minute, want: authz.DecisionAllow, wantReason: "alice may", wantCalls: 2},
		{name: "denied", a: get("mallory"), want: authz.DecisionDeny, wantReason: "mallory is banned", wantCalls: 3},
		{name: "denied is cached 30s", a: get("mallory"), step: 29 * time.Second, want: authz.DecisionDeny, wantReason: "mallory is banned", wantCalls: 3},
		{name: "denied cache expires", a: get("mallory"), step: time.Second, want: authz.DecisionDeny, wantReason: "mallory is banned", wantCalls: 4},
		{name: "no opinion", a: get("bob"), want: authz.DecisionNoOpinion, wantCalls: 5},
		{name: "other attributes are another key", a: apiserver.Attributes{User: apiserver.User{Name: "bob"}, Verb: "get", Path: "/healthz"},
			want: authz.DecisionNoOpinion, wantCalls: 6},
		{name: "service error is no opinion", a: get("broken"), want: authz.DecisionNoOpinion, wantCalls: 7},
		{name: "service error is not cached", a: get("broken"), want: authz.DecisionNoOpinion, wantCalls: 8},
	}
	for _, s := range steps {
		clk.Step(s.step)
		d, reason, err := z.Decide(context.Background(), s.a)
		if err != nil || d != s.want || reason != s.wantReason {
			t.Errorf("%s: Decide = %v %q %v, want %v %q", s.name, d, reason, err, s.want, s.wantReason)
		}
		if got := svc.calls.Load(); got != s.wantCalls {
			t.Errorf("%s: service calls = %d, want %d", s.name, got, s.wantCalls)
		}
	}
	last := svc.last.Load()
	if ra := last.Spec.ResourceAttributes; ra == nil || ra.Resource != "pods" || ra.Namespace != "default" || ra.Name != "p" ||
		ra.Verb != "get" || ra.Version != "v1" || last.Spec.User != "broken" || len(last.Spec.Groups) != 1 {
		t.Errorf("review sent = %+v", last.Spec)
	}
}

func TestServiceDownIsNoOpinion(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	cfg := webhooktest.Kubeconfig(t, srv, "/authorize")
	srv.Close()
	z, err := webhook.New(webhook.Options{ConfigFile: cfg, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ok, _, err := z.Authorize(context.Background(), apiserver.Attributes{User: apiserver.User{Name: "alice"}, Verb: "get", Path: "/"})
	if ok || err != nil {
		t.Fatalf("service down: ok=%v err=%v, want no opinion without error", ok, err)
	}
	_, _, incomplete, err := z.Rules(context.Background(), apiserver.User{Name: "alice"}, "default")
	if !incomplete || err == nil {
		t.Errorf("Rules: incomplete=%v err=%v, want incomplete with an error", incomplete, err)
	}
}
