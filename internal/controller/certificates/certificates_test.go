package certificates

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/pki"
)

func requestPEM(t *testing.T, cn string, orgs []string, ips []net.IP) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn, Organization: orgs}, IPAddresses: ips,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestDecisions(t *testing.T) {
	node := []string{"system:nodes"}
	ip := []net.IP{net.ParseIP("10.0.0.5")}
	client := []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageClientAuth}
	server := []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageServerAuth}
	for _, tc := range []struct {
		name, signer, cn, user string
		orgs                   []string
		ips                    []net.IP
		usages                 []certv1.KeyUsage
		groups                 []string
		valid, approve         bool
	}{
		{"bootstrapper asks for a node client cert", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", "system:bootstrap:abcdef", node, nil, client, []string{"system:bootstrappers"}, true, true},
		{"node renews its client cert", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", "system:node:n1", node, nil, client, nil, true, true},
		{"someone else asks for a node", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", "mallory", node, nil, client, nil, true, false},
		{"node client cert with SAN", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", "system:node:n1", node, ip, client, nil, false, false},
		{"node client cert with masters", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", "system:node:n1", []string{"system:masters"}, nil, client, nil, false, false},
		{"node client cert for server auth", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", "system:node:n1", node, nil, server, nil, false, false},
		{"node serving cert for itself", certv1.KubeletServingSignerName, "system:node:n1", "system:node:n1", node, ip, server, nil, true, true},
		{"serving cert for another node", certv1.KubeletServingSignerName, "system:node:n2", "system:node:n1", node, ip, server, nil, true, false},
		{"serving cert without SAN", certv1.KubeletServingSignerName, "system:node:n1", "system:node:n1", node, nil, server, nil, false, false},
		{"user client cert waits for an operator", certv1.KubeAPIServerClientSignerName, "jane", "jane", []string{"dev"}, nil, client, nil, true, false},
		{"unknown signer", "example.com/foo", "jane", "jane", nil, nil, client, nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csr := &certv1.CertificateSigningRequest{Spec: certv1.CertificateSigningRequestSpec{
				SignerName: tc.signer, Request: requestPEM(t, tc.cn, tc.orgs, tc.ips), Usages: tc.usages, Username: tc.user, Groups: tc.groups,
			}}
			req, err := parseRequest(csr)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := signingSpec(csr, req)
			if (err == nil) != tc.valid {
				t.Fatalf("signingSpec error %v, want valid=%v", err, tc.valid)
			}
			if err != nil {
				return
			}
			if _, ok := autoApproval(csr, spec); ok != tc.approve {
				t.Errorf("auto approval %v, want %v", ok, tc.approve)
			}
		})
	}
}

func TestControllerSignsAgainstAPIServer(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	admin := srv.Clientset(t, false)
	ca, err := pki.NewCA("test-ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory := informers.NewSharedInformerFactory(admin, 0)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: admin, Informer: factory.Certificates().V1().CertificateSigningRequests(), CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go func() { _ = c.Run(ctx, 2) }()

	// A joining node authenticates with a bootstrap token.
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-abcdef", Namespace: "kube-system"}, Type: corev1.SecretTypeBootstrapToken,
		StringData: map[string]string{"token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true"}}
	if _, err := admin.CoreV1().Secrets("kube-system").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	plain := httptest.NewServer(srv.API.Handler())
	t.Cleanup(plain.Close)
	joiner, err := kubernetes.NewForConfig(&rest.Config{Host: plain.URL, BearerToken: "abcdef.0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	create := func(cs kubernetes.Interface, name, signer, cn string, orgs []string, usages []certv1.KeyUsage) {
		csr := &certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: certv1.CertificateSigningRequestSpec{
			SignerName: signer, Request: requestPEM(t, cn, orgs, nil), Usages: usages}}
		if _, err := cs.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	client := []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageClientAuth}
	create(joiner, "node-client", certv1.KubeAPIServerClientKubeletSignerName, "system:node:n1", []string{"system:nodes"}, client)
	create(admin, "jane", certv1.KubeAPIServerClientSignerName, "jane", []string{"dev"}, client)
	create(admin, "bad", certv1.KubeAPIServerClientSignerName, "jane", nil, []certv1.KeyUsage{certv1.UsageServerAuth})

	issued := func(name string) *x509.Certificate {
		t.Helper()
		var cert []byte
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
			cert = csr.Status.Certificate
			return len(cert) > 0, err
		})
		if err != nil {
			t.Fatalf("csr %s not signed: %v", name, err)
		}
		block, _ := pem.Decode(cert)
		parsed, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parsed.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Fatalf("csr %s: certificate does not verify: %v", name, err)
		}
		return parsed
	}
	if cert := issued("node-client"); cert.Subject.CommonName != "system:node:n1" {
		t.Errorf("node certificate CN %q", cert.Subject.CommonName)
	}
	// An operator approves jane's request and the bad one.
	for _, name := range []string{"jane", "bad"} {
		csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(csr.Status.Conditions) != 0 {
			t.Fatalf("csr %s was decided without an operator: %+v", name, csr.Status.Conditions)
		}
		csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "KubectlApprove"})
		if _, err := admin.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, csr, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if cert := issued("jane"); cert.Subject.CommonName != "jane" {
		t.Errorf("jane's certificate CN %q", cert.Subject.CommonName)
	}
	err = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, "bad", metav1.GetOptions{})
		return err == nil && stateOf(csr) == finished && len(csr.Status.Certificate) == 0, err
	})
	if err != nil {
		t.Errorf("approved invalid request did not fail: %v", err)
	}
}
