package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tokenKubectl is kubectl 1.33 authenticating with token only (no client
// certificate), trusting the cluster CA.
func tokenKubectl(t *testing.T, c *cluster, token string) *kubectl {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q, certificate-authority: %q}
users:
- name: sa
  user: {token: %q}
contexts:
- name: c
  context: {cluster: c, user: sa}
current-context: c
`, c.url(), filepath.Join(c.dataDir, "pki", "ca.crt"), token)
	path := filepath.Join(t.TempDir(), "token.kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKubectl(t, c)
	k.kubeconfig = path
	return k
}

// TestServiceAccountTokens: kubectl create token issues a token that
// authenticates as the ServiceAccount; a pod gets the projected
// kube-api-access volume (token, CA, namespace) whose token authenticates
// as the account of that pod; a token bound to a pod stops working when the
// pod is deleted; the OIDC discovery documents are served to accounts.
func TestServiceAccountTokens(t *testing.T) {
	c := startNode(t)
	k := newKubectl(t, c)
	ns := k.namespace("satoken")
	if err := eventually(context.Background(), 30*time.Second, func() error { return k.run("get", "sa", "default", "-n", ns).err }); err != nil {
		t.Fatalf("default service account never created: %v", err)
	}
	user := "system:serviceaccount:" + ns + ":default"

	token := strings.TrimSpace(k.ok("create", "token", "default", "-n", ns, "--duration", "10m"))
	wantContains(t, "whoami with a created token", tokenKubectl(t, c, token).ok("auth", "whoami"),
		user+"\n", "system:serviceaccounts:"+ns)
	wantContains(t, "too short a duration", k.fails("create", "token", "default", "-n", ns, "--duration", "5m"),
		"may not specify a duration less than 10 minutes")
	wantContains(t, "discovery document for an account", tokenKubectl(t, c, token).ok("get", "--raw", "/.well-known/openid-configuration"),
		`"issuer":"https://kubernetes.default.svc.cluster.local"`, `"jwks_uri":"https://`)
	wantContains(t, "key set", k.ok("get", "--raw", "/openid/v1/jwks"), `"kty":"EC"`, `"alg":"ES256"`)

	k.okIn(busyboxPod("holder", c.nodeName, "sleep 3600", ""), "apply", "-n", ns, "-f", "-")
	k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/holder", "--timeout=60s")
	wantContains(t, "token volume", k.ok("get", "pod", "-n", ns, "holder", "-o", "jsonpath={.spec.volumes[*].name} {.spec.containers[0].volumeMounts[*].mountPath}"),
		"kube-api-access-", "/var/run/secrets/kubernetes.io/serviceaccount")
	const dir = "/var/run/secrets/kubernetes.io/serviceaccount/"
	wantEqual(t, "mounted namespace", k.ok("exec", "-n", ns, "holder", "--", "cat", dir+"namespace"), ns)
	ca, err := os.ReadFile(filepath.Join(c.dataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "mounted ca.crt", k.ok("exec", "-n", ns, "holder", "--", "cat", dir+"ca.crt"), string(ca))
	mounted := k.ok("exec", "-n", ns, "holder", "--", "cat", dir+"token")
	wantContains(t, "whoami with the pod's mounted token", tokenKubectl(t, c, mounted).ok("auth", "whoami"),
		user+"\n", "authentication.kubernetes.io/pod-name", "[holder]")

	bound := strings.TrimSpace(k.ok("create", "token", "default", "-n", ns, "--bound-object-kind", "Pod", "--bound-object-name", "holder"))
	tk := tokenKubectl(t, c, bound)
	wantContains(t, "whoami with a pod-bound token", tk.ok("auth", "whoami"), user+"\n")
	k.ok("delete", "pod", "-n", ns, "holder", "--timeout=60s")
	wantContains(t, "pod-bound token after the pod is deleted", tk.fails("auth", "whoami"), "Unauthorized")
	wantContains(t, "mounted token after the pod is deleted", tokenKubectl(t, c, mounted).fails("auth", "whoami"), "Unauthorized")
	wantContains(t, "token for a missing pod", k.fails("create", "token", "default", "-n", ns, "--bound-object-kind", "Pod", "--bound-object-name", "holder"),
		`pods "holder" not found`)
}
