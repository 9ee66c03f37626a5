package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/capstan/capstan/internal/apiserver/authn/oidc/oidctest"
	"github.com/capstan/capstan/internal/apiserver/authn/webhook/webhooktest"
)

// remoteDown makes a fake remote service answer 503, as one that is down.
type remoteDown struct{ down atomic.Bool }

func (d *remoteDown) failed(w http.ResponseWriter) bool {
	if d.down.Load() {
		http.Error(w, "service down", http.StatusServiceUnavailable)
	}
	return d.down.Load()
}

// tokenReviews knows the tokens of bob, carol and dave.
type tokenReviews struct{ remoteDown }

func (s *tokenReviews) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.failed(w) {
		return
	}
	var tr authenticationv1.TokenReview
	if err := json.NewDecoder(r.Body).Decode(&tr); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if name, ok := strings.CutPrefix(tr.Spec.Token, "webhook-token-"); ok && name != "" {
		tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true,
			User: authenticationv1.UserInfo{Username: name, UID: "uid-" + name, Groups: []string{"webhook:users"}}}
	}
	_ = json.NewEncoder(w).Encode(tr)
}

// accessReviews lets bob list configmaps, denies bob secrets outright and
// has no opinion on anything else.
type accessReviews struct{ remoteDown }

func (s *accessReviews) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.failed(w) {
		return
	}
	var sar authorizationv1.SubjectAccessReview
	if err := json.NewDecoder(r.Body).Decode(&sar); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ra := sar.Spec.ResourceAttributes; sar.Spec.User == "bob" && ra != nil {
		switch {
		case ra.Resource == "configmaps" && ra.Verb == "list":
			sar.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: true}
		case ra.Resource == "secrets":
			sar.Status = authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "secrets are off limits to bob"}
		}
	}
	_ = json.NewEncoder(w).Encode(sar)
}

// withToken is k with a kubeconfig that authenticates by token only.
func withToken(t *testing.T, k *kubectl, token string) *kubectl {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(k.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for name := range cfg.AuthInfos {
		cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	}
	path := filepath.Join(t.TempDir(), "token.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	c := *k
	c.kubeconfig, c.t = path, t
	return &c
}

// TestAuthOptions runs a server with an OIDC issuer (down when the server
// starts), a token webhook, an ABAC policy and an authorization webhook, all
// served by this test on loopback, and drives it with kubectl tokens.
func TestAuthOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	is := oidctest.Start(t)
	tokens, access := &tokenReviews{}, &accessReviews{}
	tokenSrv, accessSrv := httptest.NewTLSServer(tokens), httptest.NewTLSServer(access)
	t.Cleanup(tokenSrv.Close)
	t.Cleanup(accessSrv.Close)
	policy := filepath.Join(dir, "abac.jsonl")
	if err := os.WriteFile(policy, []byte(`# carol may read configmaps in default
{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "carol", "namespace": "default", "resource": "configmaps", "apiGroup": "", "readonly": true}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	is.SetDown(true) // the server must start anyway, and retry discovery later
	c := startCluster(t, serverOptions{extraArgs: []string{
		"--oidc-issuer-url", is.URL, "--oidc-client-id", "capstan", "--oidc-ca-file", is.WriteCA(t, dir),
		"--oidc-groups-claim", "groups", "--oidc-username-prefix", "oidc:", "--oidc-groups-prefix", "oidc:",
		"--oidc-required-claim", "tenant=blue",
		"--authentication-token-webhook-config-file", webhooktest.Kubeconfig(t, tokenSrv, "/authenticate"),
		"--authorization-policy-file", policy,
		"--authorization-webhook-config-file", webhooktest.Kubeconfig(t, accessSrv, "/authorize"),
	}})
	admin := newKubectl(t, c)
	idToken := func(claims map[string]any) string {
		base := map[string]any{"iss": is.URL, "aud": "capstan", "sub": "alice", "groups": []string{"devs"}, "tenant": "blue",
			"iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range claims {
			base[k] = v
		}
		return is.Token(t, base)
	}

	t.Run("oidc", func(t *testing.T) {
		alice := withToken(t, admin, idToken(nil))
		wantContains(t, "issuer down", alice.fails("auth", "whoami"), "Unauthorized")
		is.SetDown(false)
		if err := eventually(context.Background(), 30*time.Second, func() error { return alice.run("auth", "whoami").err }); err != nil {
			t.Fatalf("discovery never retried after the issuer came back: %v", err)
		}
		wantEqual(t, "auth whoami", alice.ok("auth", "whoami"),
			"ATTRIBUTE   VALUE\nUsername    oidc:alice\nGroups      [oidc:devs system:authenticated]\n")
		wantContains(t, "list pods before the binding", alice.fails("get", "pods", "-n", "default"),
			`User "oidc:alice" cannot list resource "pods"`)
		admin.ok("create", "rolebinding", "devs-view", "--clusterrole=view", "--group=oidc:devs", "-n", "default")
		if err := eventually(context.Background(), 10*time.Second, func() error { return alice.run("get", "pods", "-n", "default").err }); err != nil {
			t.Errorf("RBAC binding for the OIDC group never applied: %v", err)
		}
		for name, tok := range map[string]string{
			"expired":        idToken(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}),
			"wrong audience": idToken(map[string]any{"aud": "someone-else"}),
			"wrong issuer":   idToken(map[string]any{"iss": "https://issuer.invalid"}),
			"missing claim":  idToken(map[string]any{"tenant": "red"}),
			"bad signature":  is.ForeignToken(t, map[string]any{"iss": is.URL, "aud": "capstan", "sub": "eve", "exp": time.Now().Add(time.Hour).Unix()}),
		} {
			wantContains(t, name+" token", withToken(t, admin, tok).fails("get", "pods", "-n", "default"), "Unauthorized")
		}
	})

	t.Run("token webhook and authorization webhook", func(t *testing.T) {
		bob := withToken(t, admin, "webhook-token-bob")
		wantEqual(t, "auth whoami", bob.ok("auth", "whoami"),
			"ATTRIBUTE   VALUE\nUsername    bob\nUID         uid-bob\nGroups      [webhook:users system:authenticated]\n")
		bob.ok("get", "configmaps", "-n", "default")
		wantContains(t, "denied by the webhook", bob.fails("get", "secrets", "-n", "default"),
			`User "bob" cannot list resource "secrets"`, "secrets are off limits to bob")
		wantContains(t, "no opinion", bob.fails("get", "pods", "-n", "default"), `User "bob" cannot list resource "pods"`)
		wantContains(t, "unknown token", withToken(t, admin, "not-a-known-token").fails("get", "pods"), "Unauthorized")
	})

	t.Run("abac", func(t *testing.T) {
		admin.ok("create", "configmap", "abac-target", "-n", "default", "--from-literal=k=v")
		carol := withToken(t, admin, "webhook-token-carol")
		wantContains(t, "get allowed by ABAC", carol.ok("get", "configmap", "abac-target", "-n", "default", "-o", "name"), "configmap/abac-target")
		wantContains(t, "delete refused", carol.fails("delete", "configmap", "abac-target", "-n", "default"),
			`User "carol" cannot delete resource "configmaps"`)
		wantContains(t, "other namespace refused", carol.fails("get", "configmaps", "-n", "kube-system"),
			`User "carol" cannot list resource "configmaps"`)
		// SelfSubjectRulesReview lists the ABAC rule; the webhook makes the list incomplete.
		r := carol.run("auth", "can-i", "--list", "-n", "default")
		found := false
		for _, line := range strings.Split(r.stdout, "\n") {
			found = found || (strings.HasPrefix(line, "configmaps ") && strings.HasSuffix(strings.TrimSpace(line), "[get list watch]"))
		}
		if r.err != nil || !found {
			t.Errorf("auth can-i --list as carol lacks the ABAC rule (err %v):\n%s\n%s", r.err, r.stdout, r.stderr)
		}
	})

	t.Run("webhooks down", func(t *testing.T) {
		tokens.down.Store(true)
		access.down.Store(true)
		defer tokens.down.Store(false)
		defer access.down.Store(false)
		stderr := withToken(t, admin, "webhook-token-dave").fails("get", "pods")
		wantContains(t, "token webhook down", stderr, "Unauthorized")
		// bob's token is cached; his request for services is not.
		stderr = withToken(t, admin, "webhook-token-bob").fails("get", "services", "-n", "default")
		wantContains(t, "authorization webhook down", stderr, `User "bob" cannot list resource "services"`)
		if strings.Contains(stderr, "InternalError") || strings.Contains(stderr, "500") {
			t.Errorf("a webhook that is down surfaced as a server error: %s", stderr)
		}
		if !strings.Contains(c.log(), "authorization webhook failed") || !strings.Contains(c.log(), "token webhook failed") {
			t.Errorf("webhook failures not logged")
		}
	})
}

// TestAuthOptionsBadInput: a malformed or missing file stops `capstan
// server` before it starts anything, naming the file (and the line, for
// ABAC).
func TestAuthOptionsBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	policy := filepath.Join(dir, "abac.jsonl")
	if err := os.WriteFile(policy, []byte(`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "a", "resource": "*"}}`+"\n\n"+`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "b", "resorce": "*"}}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.kubeconfig")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"malformed ABAC line", []string{"--authorization-policy-file", policy}, []string{policy, "line 3", `unknown field "resorce"`}},
		{"missing token webhook config", []string{"--authentication-token-webhook-config-file", missing}, []string{"--authentication-token-webhook-config-file", missing}},
		{"missing authorization webhook config", []string{"--authorization-webhook-config-file", missing}, []string{"--authorization-webhook-config-file", missing}},
		{"http OIDC issuer", []string{"--oidc-issuer-url", "http://127.0.0.1:1", "--oidc-client-id", "x"}, []string{"must be an https URL"}},
		{"mode without its file", []string{"--authorization-mode", "Node,RBAC,Webhook"}, []string{"Webhook needs --authorization-webhook-config-file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append([]string{"server", "--data-dir", t.TempDir(), "--disable-agent", "--https-port", "1"}, tt.args...)
			out, err := exec.CommandContext(ctx, os.Getenv(binaryEnv), args...).CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("capstan server %v: err=%v (timeout: %v), want a quick failure\n%s", tt.args, err, ctx.Err(), out)
			}
			wantContains(t, "capstan server error", string(out), tt.want...)
		})
	}
}
