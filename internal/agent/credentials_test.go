package agent_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
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

	// Joining again reuses the stored credentials: no new CSR.
	if _, err := agent.JoinCredentials(ctx, r.URL, tok, dir, "n1", ips, log); err != nil {
		t.Fatal(err)
	}
	csrs, err := admin.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil || len(csrs.Items) != 2 {
		t.Fatalf("CSRs after two joins: %d (%v), want 2", len(csrs.Items), err)
	}

	other := tok
	other.CAHash = strings.Repeat("0", 64)
	_, err = agent.JoinCredentials(ctx, r.URL, other, t.TempDir(), "n2", ips, log)
	if err == nil || !strings.Contains(err.Error(), "is not the one the join token names") {
		t.Fatalf("join with a token for another CA: %v", err)
	}
}

func pkiPool(ca *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca)
	return p
}
