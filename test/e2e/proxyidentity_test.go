package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver/audit"
)

// proxyAuditPolicy records every request's user and response code.
const proxyAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/readyz*", "/healthz*", "/livez*"]
- level: Metadata
`

// TestProxyOwnIdentity joins a node with a token and checks that its
// service proxy runs as system:kube-proxy (a certificate obtained through
// the CSR API and stored in the agent's pki dir): a ClusterIP Service
// answers through it, the audit log shows the proxy's requests and no 403
// for it, and the proxy's certificate cannot read Secrets.
func TestProxyOwnIdentity(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces and containerd")
	}
	if _, err := exec.LookPath("containerd"); err != nil {
		t.Skip("containerd not installed: run scripts/install-deps.sh")
	}
	n := newNetnsNode(t)
	auditLog := filepath.Join(t.TempDir(), "audit.log")
	c := startCluster(t, serverOptions{bindAll: true, extraArgs: []string{
		"--audit-policy-file", writeFile(t, filepath.Join(t.TempDir(), "policy.yaml"), proxyAuditPolicy), "--audit-log-path", auditLog}})
	out, err := exec.Command(os.Getenv(binaryEnv), "token", "create", "--data-dir", c.dataDir, "--description", "e2e proxy identity").CombinedOutput()
	if err != nil {
		t.Fatalf("capstan token create: %v: %s", err, out)
	}
	nodeName, agentDir := "e2e-proxyid-"+strconv.Itoa(c.port), t.TempDir()
	joinAgent(t, n, "https://"+net.JoinHostPort(n.hostIP, strconv.Itoa(c.port)), strings.TrimSpace(string(out)), nodeName, agentDir)
	k := newKubectl(t, c)
	if err := eventually(context.Background(), 60*time.Second, func() error { return k.run("get", "node", nodeName).err }); err != nil {
		t.Fatalf("node %s never registered: %v", nodeName, err)
	}
	k.ok("wait", "--for=condition=Ready", "node/"+nodeName, "--timeout=60s")
	importBusybox(t, agentDir)
	t.Cleanup(c.removePods)

	k.okIn(webPod("web", nodeName, "app: web")+"---\n"+busyboxPod("client", nodeName, "exec sleep 3600", ""), "apply", "-f", "-")
	k.okIn(`apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`, "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pods", "--all", "--timeout=90s")
	ip := k.ok("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
	err = eventually(context.Background(), 60*time.Second, func() error {
		r := k.run("exec", "client", "--", "sh", "-c", fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s 80`, ip))
		if r.err != nil || !strings.HasSuffix(strings.TrimSpace(r.stdout), "web") {
			return fmt.Errorf("client → %s: %v %q %s", ip, r.err, r.stdout, r.stderr)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ClusterIP through the joined node's proxy: %v", err)
	}

	proxy := proxyClient(t, c, filepath.Join(agentDir, "pki"))
	ctx := context.Background()
	if _, err := proxy.CoreV1().Secrets("kube-system").Get(ctx, "any", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("kube-proxy certificate gets a secret = %v, want 403", err)
	}
	var ok int
	var denied []string
	err = eventually(ctx, 10*time.Second, func() error {
		if ok, denied = proxyAudit(t, auditLog, n.nodeIP); ok == 0 || len(denied) == 0 {
			return fmt.Errorf("audit log: %d requests of system:kube-proxy, 403s %v", ok, denied)
		}
		return nil
	})
	if err != nil {
		t.Errorf("%v: the joined node's proxy does not use its own identity, or the log is not written", err)
	}
	// The only 403 of the proxy's identity is the test's own secret read.
	if len(denied) != 1 || !strings.Contains(denied[0], "/secrets/any") {
		t.Errorf("403s for system:kube-proxy: %v, want only the test's secret read", denied)
	}
}

// proxyClient is a client with the joined agent's stored kube-proxy
// certificate.
func proxyClient(t *testing.T, c *cluster, pkiDir string) kubernetes.Interface {
	t.Helper()
	admin, err := c.restConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &rest.Config{Host: admin.Host, TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(pkiDir, "ca.crt"),
		CertFile: filepath.Join(pkiDir, "kube-proxy.crt"), KeyFile: filepath.Join(pkiDir, "kube-proxy.key")}}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// proxyAudit counts system:kube-proxy's successful requests from nodeIP in
// the audit log (watches that stream their initial list only reach
// ResponseStarted) and lists the requests it was refused, from anywhere.
func proxyAudit(t *testing.T, path, nodeIP string) (ok int, denied []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ev audit.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit log line is not an Event: %v\n%s", err, sc.Text())
		}
		if ev.User.Username != "system:kube-proxy" || ev.ResponseStatus == nil ||
			(ev.Stage != audit.StageResponseComplete && ev.Stage != audit.StageResponseStarted) {
			continue
		}
		switch code := ev.ResponseStatus.Code; {
		case code == 403 && ev.Stage == audit.StageResponseComplete:
			denied = append(denied, ev.Verb+" "+ev.RequestURI)
		case code < 300 && slices.Contains(ev.SourceIPs, nodeIP):
			ok++
		}
	}
	return ok, denied
}
