package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/capstan/capstan/internal/apiserver/authn/oidc"
)

func TestAuthorizationModes(t *testing.T) {
	tests := []struct {
		name    string
		o       AuthOptions
		want    []string
		wantErr string
	}{
		{name: "default", want: []string{}},
		{name: "files append their modes", o: AuthOptions{AuthorizationPolicyFile: "p", AuthorizationWebhookConfigFile: "w"},
			want: []string{"ABAC", "Webhook"}},
		{name: "explicit order", o: AuthOptions{AuthorizationModes: []string{"RBAC", "Node", "Webhook", "ABAC"},
			AuthorizationPolicyFile: "p", AuthorizationWebhookConfigFile: "w"}, want: []string{"Webhook", "ABAC"}},
		{name: "explicit AlwaysAllow", o: AuthOptions{AuthorizationModes: []string{"Node", "RBAC", "AlwaysAllow"}}, want: []string{"AlwaysAllow"}},
		{name: "unknown mode", o: AuthOptions{AuthorizationModes: []string{"Node", "RBAC", "Magic"}}, wantErr: `"Magic": unknown mode`},
		{name: "repeated mode", o: AuthOptions{AuthorizationModes: []string{"Node", "RBAC", "RBAC"}}, wantErr: "listed twice"},
		{name: "RBAC missing", o: AuthOptions{AuthorizationModes: []string{"Node", "ABAC"}, AuthorizationPolicyFile: "p"}, wantErr: "Node and RBAC first"},
		{name: "RBAC not first", o: AuthOptions{AuthorizationModes: []string{"Node", "ABAC", "RBAC"}, AuthorizationPolicyFile: "p"}, wantErr: "Node and RBAC first"},
		{name: "ABAC without file", o: AuthOptions{AuthorizationModes: []string{"Node", "RBAC", "ABAC"}}, wantErr: "ABAC needs --authorization-policy-file"},
		{name: "file without ABAC", o: AuthOptions{AuthorizationModes: []string{"Node", "RBAC"}, AuthorizationPolicyFile: "p"},
			wantErr: "--authorization-policy-file needs ABAC"},
		{name: "webhook file without Webhook", o: AuthOptions{AuthorizationModes: []string{"Node", "RBAC"}, AuthorizationWebhookConfigFile: "w"},
			wantErr: "--authorization-webhook-config-file needs Webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authorizationModes(tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("modes = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestBuildAuthBadInput: a bad file or flag stops the start with the flag,
// the file and (for ABAC) the line.
func TestBuildAuthBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	policy := write("policy.jsonl", `{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "a", "resource": "*"}}`+"\n{oops\n")
	notKubeconfig := write("bad.kubeconfig", "clusters: [")
	tests := []struct {
		name string
		o    AuthOptions
		want []string
	}{
		{"ABAC malformed line", AuthOptions{AuthorizationPolicyFile: policy}, []string{policy, "line 2"}},
		{"ABAC missing file", AuthOptions{AuthorizationPolicyFile: filepath.Join(dir, "nope")}, []string{filepath.Join(dir, "nope")}},
		{"authorization webhook config", AuthOptions{AuthorizationWebhookConfigFile: notKubeconfig}, []string{"--authorization-webhook-config-file", notKubeconfig}},
		{"token webhook config", AuthOptions{TokenWebhookConfigFile: filepath.Join(dir, "nope")}, []string{"--authentication-token-webhook-config-file", "nope"}},
		{"oidc http issuer", AuthOptions{OIDC: oidc.Options{IssuerURL: "http://issuer", ClientID: "c"}}, []string{"--oidc-*", "https"}},
		{"oidc CA file", AuthOptions{OIDC: oidc.Options{IssuerURL: "https://issuer", ClientID: "c", CAFile: filepath.Join(dir, "ca.pem")}}, []string{"ca.pem"}},
		{"oidc client without issuer", AuthOptions{OIDC: oidc.Options{ClientID: "c"}}, []string{"--oidc-issuer-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildAuth(tt.o, slog.New(slog.DiscardHandler))
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
	good := write("good.jsonl", `{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "a", "resource": "*"}}`+"\n")
	p, err := buildAuth(AuthOptions{AuthorizationPolicyFile: good, OIDC: oidc.Options{IssuerURL: "https://issuer.invalid", ClientID: "c"}}, slog.New(slog.DiscardHandler))
	if err != nil || len(p.after) != 1 || len(p.tokens) != 1 {
		t.Fatalf("good options: %+v, %v", p, err)
	}
}
