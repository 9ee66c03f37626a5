package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan/capstan/internal/apiserver/audit"
)

const sec2AuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/readyz*", "/healthz*", "/livez*"]
- level: Metadata
`

// auditEvents reads the JSON-lines audit log at path.
func auditEvents(t *testing.T, path string) []audit.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	var out []audit.Event
	for sc.Scan() {
		var ev audit.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit log line is not an Event: %v\n%s", err, sc.Text())
		}
		out = append(out, ev)
	}
	return out
}

// findAudit waits for an event of the log that match accepts.
func findAudit(t *testing.T, path, what string, match func(e audit.Event) bool) audit.Event {
	t.Helper()
	var found audit.Event
	err := eventually(context.Background(), 10*time.Second, func() error {
		for _, e := range auditEvents(t, path) {
			if match(e) {
				found = e
				return nil
			}
		}
		return errors.New("not logged yet")
	})
	if err != nil {
		t.Fatalf("no audit event for %s in %s: %v", what, path, err)
	}
	return found
}

// TestLegacyTokenSecretsAndAudit: a Secret of type
// kubernetes.io/service-account-token gets a token that authenticates as
// its ServiceAccount until the Secret is deleted, and is labelled with the
// day of its last use; no token Secret appears on its own. The audit log
// records the 401 of the revoked token without a user, and the
// authorization decision of requests; every response has an Audit-Id.
func TestLegacyTokenSecretsAndAudit(t *testing.T) {
	t.Parallel()
	cfgDir := t.TempDir()
	auditLog := filepath.Join(cfgDir, "audit.log")
	c := startCluster(t, serverOptions{extraArgs: []string{
		"--audit-policy-file", writeFile(t, filepath.Join(cfgDir, "policy.yaml"), sec2AuditPolicy), "--audit-log-path", auditLog}})
	k := newKubectl(t, c)
	ns := k.namespace("sec2")
	k.ok("create", "serviceaccount", "robot", "-n", ns)
	k.okIn(`apiVersion: v1
kind: Secret
metadata:
  name: robot-token
  annotations: {kubernetes.io/service-account.name: robot}
type: kubernetes.io/service-account-token
`, "apply", "-n", ns, "-f", "-")
	var encoded string
	if err := eventually(context.Background(), 30*time.Second, func() error {
		encoded = k.ok("get", "secret", "robot-token", "-n", ns, "-o", "jsonpath={.data.token}")
		if encoded == "" {
			return errors.New("token not filled in")
		}
		return nil
	}); err != nil {
		t.Fatalf("legacy token secret: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	token := string(raw)
	user := "system:serviceaccount:" + ns + ":robot"
	wantEqual(t, "secret namespace", k.ok("get", "secret", "robot-token", "-n", ns, "-o", "jsonpath={.data.namespace}"),
		base64.StdEncoding.EncodeToString([]byte(ns)))
	tk := tokenKubectl(t, c, token)
	wantContains(t, "whoami with the legacy token", tk.ok("auth", "whoami"), user+"\n", "system:serviceaccounts:"+ns)
	wantContains(t, "secrets read by the robot", tk.fails("get", "secrets", "-n", "kube-system"), "forbidden")
	if err := eventually(context.Background(), 10*time.Second, func() error {
		if k.ok("get", "secret", "robot-token", "-n", ns, "-o", `jsonpath={.metadata.labels.kubernetes\.io/legacy-token-last-used}`) == "" {
			return errors.New("no last-used label")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "token secrets in the namespace (none auto-created)",
		k.ok("get", "secrets", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"), "robot-token")

	k.ok("delete", "secret", "robot-token", "-n", ns)
	wantContains(t, "whoami after the secret is deleted", tk.fails("auth", "whoami"), "Unauthorized")

	e := findAudit(t, auditLog, "the 401 of the revoked token", func(e audit.Event) bool {
		return e.ResponseStatus != nil && e.ResponseStatus.Code == 401 && e.Verb == "create" &&
			e.ObjectRef != nil && e.ObjectRef.Resource == "selfsubjectreviews"
	})
	if e.User.Username != "" || e.Stage != audit.StageResponseStarted || e.ResponseStatus.Message != "Authentication failed, attempted: bearer" {
		t.Errorf("401 event: %+v status %+v", e, e.ResponseStatus)
	}
	e = findAudit(t, auditLog, "the forbidden list", func(e audit.Event) bool {
		return e.User.Username == user && e.Verb == "list" && e.ObjectRef != nil && e.ObjectRef.Resource == "secrets"
	})
	if e.Annotations["authorization.k8s.io/decision"] != "forbid" || e.ResponseStatus.Code != 403 {
		t.Errorf("forbidden list event: annotations %v status %+v", e.Annotations, e.ResponseStatus)
	}
	e = findAudit(t, auditLog, "the allowed whoami", func(e audit.Event) bool {
		return e.User.Username == user && e.ObjectRef != nil && e.ObjectRef.Resource == "selfsubjectreviews"
	})
	if e.Annotations["authorization.k8s.io/decision"] != "allow" || !strings.Contains(e.Annotations["authorization.k8s.io/reason"], "RBAC") {
		t.Errorf("allowed whoami event: annotations %v", e.Annotations)
	}
	checkAuditIDHeader(t, c)
}

// checkAuditIDHeader: a request without credentials gets 401 and an
// Audit-Id header.
func checkAuditIDHeader(t *testing.T, c *cluster) {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(c.dataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(c.url() + "/api/v1/namespaces")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Header.Get("Audit-Id")) != 36 {
		t.Errorf("anonymous list: %d, Audit-Id %q", resp.StatusCode, resp.Header.Get("Audit-Id"))
	}
}
