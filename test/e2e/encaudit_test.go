package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan/capstan/internal/apiserver/audit"
	"github.com/capstan/capstan/internal/etcd"
)

// encConfig is an EncryptionConfiguration encrypting Secrets with aescbc
// under the named keys (the first writes), reading plaintext last.
func encConfig(keys ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "      - name: %s\n        secret: %s\n", k, base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%-32s", k))))
	}
	b.WriteString("  - identity: {}\n")
	return b.String()
}

const e2eAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/readyz*", "/healthz*", "/livez*"]
- level: RequestResponse
`

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawSecret reads a Secret's value straight from the server's embedded etcd.
func rawSecret(t *testing.T, dataDir, ns, name string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := etcd.Dial(ctx, []string{"unix://" + filepath.Join(dataDir, "etcd", "client.sock")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Get(ctx, "/registry/secrets/"+ns+"/"+name)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("etcd get secret %s/%s: %v (%d keys)", ns, name, err, len(resp.Kvs))
	}
	return resp.Kvs[0].Value
}

func wantPrefix(t *testing.T, raw []byte, prefix, secret string) {
	t.Helper()
	if !bytes.HasPrefix(raw, []byte(prefix)) {
		t.Fatalf("raw etcd value starts %q, want %q", raw[:min(len(raw), len(prefix))], prefix)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatal("secret text visible in etcd")
	}
}

func TestEncryptionAtRestAndAudit(t *testing.T) {
	t.Parallel()
	cfgDir, dataDir := t.TempDir(), t.TempDir()
	encPath := writeFile(t, filepath.Join(cfgDir, "enc.yaml"), encConfig("key1"))
	auditLog := filepath.Join(cfgDir, "audit.log")
	args := []string{"--encryption-provider-config", encPath, "--audit-policy-file", writeFile(t, filepath.Join(cfgDir, "policy.yaml"), e2eAuditPolicy),
		"--audit-log-path", auditLog, "--audit-log-maxsize", "10", "--audit-log-maxbackup", "2"}
	c := startCluster(t, serverOptions{dataDir: dataDir, extraArgs: args})
	k := newKubectl(t, c)
	const secret = "hunter2-e2e-payload"
	k.ok("create", "namespace", "enc")
	k.ok("-n", "enc", "create", "secret", "generic", "s1", "--from-literal=password="+secret)
	k.ok("-n", "enc", "create", "secret", "generic", "s2", "--from-literal=password="+secret)
	wantPrefix(t, rawSecret(t, dataDir, "enc", "s1"), "k8s:enc:aescbc:v1:key1:", secret)
	encoded := base64.StdEncoding.EncodeToString([]byte(secret))
	if y := k.ok("-n", "enc", "get", "secret", "s1", "-o", "yaml"); !strings.Contains(y, "password: "+encoded) {
		t.Fatalf("kubectl get secret -o yaml does not show the data:\n%s", y)
	}
	k.ok("-n", "enc", "delete", "secret", "s2")
	checkAuditLog(t, auditLog, secret, encoded)

	// Rotate: key2 first, rewrite every Secret, drop key1.
	if _, err := c.stop(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, encPath, encConfig("key2", "key1"))
	c = startCluster(t, serverOptions{dataDir: dataDir, extraArgs: args})
	k = newKubectl(t, c)
	all := k.ok("get", "secrets", "-A", "-o", "json")
	k.okIn(all, "replace", "-f", "-")
	wantPrefix(t, rawSecret(t, dataDir, "enc", "s1"), "k8s:enc:aescbc:v1:key2:", secret)
	if _, err := c.stop(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, encPath, encConfig("key2"))
	c = startCluster(t, serverOptions{dataDir: dataDir, extraArgs: args})
	k = newKubectl(t, c)
	if got := k.ok("-n", "enc", "get", "secret", "s1", "-o", "jsonpath={.data.password}"); got != encoded {
		t.Fatalf("after removing key1: data %q, want %q", got, encoded)
	}
}

// checkAuditLog finds the kubectl delete of Secret s2 in the log and checks
// that no event carries the secret.
func checkAuditLog(t *testing.T, path, secret, encoded string) {
	t.Helper()
	var found *audit.Event
	var data []byte
	for deadline := time.Now().Add(10 * time.Second); found == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev audit.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("audit log line is not an Event: %v\n%s", err, sc.Text())
			}
			if ev.Verb == "delete" && ev.Stage == audit.StageResponseComplete && ev.ObjectRef != nil &&
				ev.ObjectRef.Resource == "secrets" && ev.ObjectRef.Name == "s2" {
				found = &ev
			}
		}
	}
	if found == nil {
		t.Fatalf("no ResponseComplete event for the delete of secret s2 in %s:\n%s", path, data)
	}
	if found.User.Username == "" || !strings.Contains(strings.Join(found.User.Groups, ","), "system:masters") ||
		found.ObjectRef.Namespace != "enc" || found.Level != audit.LevelMetadata || found.ResponseStatus == nil ||
		found.ResponseStatus.Code != 200 || found.AuditID == "" || !strings.HasPrefix(found.UserAgent, "kubectl") {
		t.Fatalf("delete event: %+v", found)
	}
	if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte(encoded)) {
		t.Fatal("secret data in the audit log")
	}
	if !bytes.Contains(data, []byte(`"stage":"ResponseComplete"`)) || bytes.Contains(data, []byte(`"stage":"RequestReceived"`)) {
		t.Fatal("omitStages not applied")
	}
}

// TestBadEncryptionConfigStopsServer: the server refuses to start and names
// the file and the line.
func TestBadEncryptionConfigStopsServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := strings.Replace(encConfig("key1"), base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%-32s", "key1"))), base64.StdEncoding.EncodeToString([]byte("short")), 1)
	path := writeFile(t, filepath.Join(dir, "enc.yaml"), bad)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, os.Getenv(binaryEnv), "server", "--disable-agent", "--data-dir", filepath.Join(dir, "data"),
		"--https-port", "1", "--encryption-provider-config", path).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("server started with a bad key (err %v):\n%s", err, out)
	}
	for _, want := range []string{path, "line 8", "secret is 5 bytes"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error output does not mention %q:\n%s", want, out)
		}
	}
}
