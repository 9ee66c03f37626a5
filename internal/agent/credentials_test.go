package agent_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/agent"
	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/internal/server"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestJoinCredentials joins a real server with a token (TLS bootstrap),
// then checks the node identity, the stored files being reused, and that a
// token for another CA is refused.
func TestJoinCredentials(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := server.Start(ctx, server.Config{DataDir: t.TempDir(), BindAddress: "127.0.0.1", HTTPSPort: freePort(t),
		ServiceCIDR: "10.43.0.0/16", Log: slog.New(slog.DiscardHandler), DisableAgent: true})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = r.Wait() })
	admin := kubernetes.NewForConfigOrDie(r.Loopback)
	ca, err := pki.ParseCertPEM(r.Loopback.CAData)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := server.CreateToken(ctx, admin, ca, time.Hour, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	ips := []net.IP{net.ParseIP("10.9.8.7")}
	creds, err := agent.JoinCredentials(ctx, r.URL, tok, dir, "n1", ips, log)
	if err != nil {
		t.Fatal(err)
	}
	node := kubernetes.NewForConfigOrDie(creds.API)
	review, err := node.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != "system:node:n1" || !strings.Contains(strings.Join(u.Groups, ","), "system:nodes") {
		t.Errorf("node identity %q %v", u.Username, u.Groups)
	}
	serving := creds.KubeletTLS.Certificates[0].Leaf
	if _, err := serving.Verify(x509.VerifyOptions{Roots: pkiPool(ca), DNSName: "10.9.8.7", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("kubelet serving certificate: %v", err)
	}

	checkProxyIdentity(ctx, t, creds)

	// Joining again reuses the stored credentials: no new CSR.
	if _, err := agent.JoinCredentials(ctx, r.URL, tok, dir, "n1", ips, log); err != nil {
		t.Fatal(err)
	}
	countCSRs(ctx, t, admin, 3)

	// An agent joined before the proxy had its own identity has no
	// kube-proxy certificate: only that one is requested, the node's kept.
	for _, f := range []string{"kube-proxy.crt", "kube-proxy.key"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	again, err := agent.JoinCredentials(ctx, r.URL, tok, dir, "n1", ips, log)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.API.CertData, creds.API.CertData) {
		t.Error("node client certificate replaced, want kept")
	}
	checkProxyIdentity(ctx, t, again)
	countCSRs(ctx, t, admin, 4)
	if _, err := os.Stat(filepath.Join(dir, "kube-proxy.crt")); err != nil {
		t.Errorf("kube-proxy certificate not stored: %v", err)
	}

	other := tok
	other.CAHash = strings.Repeat("0", 64)
	_, err = agent.JoinCredentials(ctx, r.URL, other, t.TempDir(), "n2", ips, log)
	if err == nil || !strings.Contains(err.Error(), "is not the one the join token names") {
		t.Fatalf("join with a token for another CA: %v", err)
	}
}

// checkProxyIdentity checks that creds.Proxy is system:kube-proxy, not a
// node, and may read EndpointSlices but not Secrets.
func checkProxyIdentity(ctx context.Context, t *testing.T, creds *agent.Credentials) {
	t.Helper()
	if creds.Proxy == nil {
		t.Fatal("no proxy credentials")
	}
	proxy := kubernetes.NewForConfigOrDie(creds.Proxy)
	review, err := proxy.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != "system:kube-proxy" || slices.Contains(u.Groups, "system:nodes") {
		t.Errorf("proxy identity %q %v, want system:kube-proxy outside system:nodes", u.Username, u.Groups)
	}
	if _, err := proxy.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("proxy lists endpointslices: %v", err)
	}
	if _, err := proxy.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("proxy lists secrets = %v, want 403", err)
	}
}

func countCSRs(ctx context.Context, t *testing.T, admin kubernetes.Interface, want int) {
	t.Helper()
	csrs, err := admin.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil || len(csrs.Items) != want {
		t.Fatalf("CSRs: %d (%v), want %d", len(csrs.Items), err, want)
	}
}

// TestLocalCredentials checks the server's own agent gets a node identity
// and a separate kube-proxy identity from the CA.
func TestLocalCredentials(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("test-ca", now)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := agent.LocalCredentials(ca, "https://127.0.0.1:6443", "n1", []net.IP{net.ParseIP("10.0.0.1")}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		pem    []byte
		cn     string
		groups []string
	}{
		{"node", creds.API.CertData, "system:node:n1", []string{"system:nodes"}},
		{"proxy", creds.Proxy.CertData, "system:kube-proxy", nil},
	} {
		cert, err := pki.ParseCertPEM(tc.pem)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cert.Subject.CommonName != tc.cn || !slices.Equal(cert.Subject.Organization, tc.groups) {
			t.Errorf("%s certificate %q %v, want %q %v", tc.name, cert.Subject.CommonName, cert.Subject.Organization, tc.cn, tc.groups)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s certificate: %v", tc.name, err)
		}
	}
}

func pkiPool(ca *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca)
	return p
}
