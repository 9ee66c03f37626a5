package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan/capstan/internal/pki"
)

// Credentials are how the agent reaches the API server (as
// system:node:<name>), how its service proxy does (as system:kube-proxy),
// and how its kubelet API proves itself and checks its callers.
type Credentials struct {
	API *rest.Config
	// Proxy is the service proxy's own identity, system:kube-proxy.
	Proxy      *rest.Config
	KubeletTLS *tls.Config
}

// nodeSpecs are the certificates a node holds: a client certificate for
// the API and a serving certificate for the kubelet API.
func nodeSpecs(nodeName string, ips []net.IP) (client, serving pki.LeafSpec) {
	cn := "system:node:" + nodeName
	client = pki.LeafSpec{CommonName: cn, Organization: []string{"system:nodes"}}
	serving = pki.LeafSpec{CommonName: cn, Organization: []string{"system:nodes"}, DNSNames: []string{nodeName}, IPs: ips, Server: true}
	return client, serving
}

// LocalCredentials issues the credentials of the agent inside `capstan
// server` straight from the cluster CA: the node's client and serving
// certificates and the service proxy's client certificate.
func LocalCredentials(ca *pki.KeyPair, serverURL, nodeName string, ips []net.IP, now time.Time) (*Credentials, error) {
	clientSpec, servingSpec := nodeSpecs(nodeName, ips)
	client, err := ca.Issue(clientSpec, now)
	if err != nil {
		return nil, fmt.Errorf("node client certificate: %w", err)
	}
	serving, err := ca.Issue(servingSpec, now)
	if err != nil {
		return nil, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	proxy, err := ca.Issue(proxySpec(), now)
	if err != nil {
		return nil, fmt.Errorf("kube-proxy client certificate: %w", err)
	}
	return newCredentials(ca.Cert, serverURL, client, serving, proxy)
}

// newCredentials builds the credentials of a node; proxy may be nil (no
// Proxy config yet).
func newCredentials(ca *x509.Certificate, serverURL string, client, serving, proxy *pki.KeyPair) (*Credentials, error) {
	caPEM := (&pki.KeyPair{Cert: ca}).CertPEM()
	api, err := clientConfig(caPEM, serverURL, client)
	if err != nil {
		return nil, err
	}
	creds := &Credentials{API: api, KubeletTLS: (&pki.KeyPair{Cert: ca}).ServingTLS(serving)}
	if proxy != nil {
		if creds.Proxy, err = clientConfig(caPEM, serverURL, proxy); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

// clientConfig is a client of serverURL authenticating with kp.
func clientConfig(caPEM []byte, serverURL string, kp *pki.KeyPair) (*rest.Config, error) {
	keyPEM, err := kp.KeyPEM()
	if err != nil {
		return nil, fmt.Errorf("client key of %s: %w", kp.Cert.Subject.CommonName, err)
	}
	return &rest.Config{Host: serverURL, QPS: 50, Burst: 100,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM, CertData: kp.CertPEM(), KeyData: keyPEM}}, nil
}

// AuthorizeKubeletClient admits the API server's kubelet client and cluster
// administrators to the kubelet API.
func AuthorizeKubeletClient(cert *x509.Certificate) bool {
	return cert.Subject.CommonName == pki.KubeletClientName || slices.Contains(cert.Subject.Organization, "system:masters")
}

// File names of a joined agent's credentials in its pki dir (and
// proxyBase, kube-proxy.crt/.key).
const (
	caFile      = "ca.crt"
	clientBase  = "node"
	servingBase = "kubelet"
	renewBefore = 24 * time.Hour
)

// JoinCredentials returns a joined agent's credentials: loaded from dir when
// present and valid for another day, otherwise obtained with the join token
// (TLS bootstrap): the CA is read from cluster-info and checked against the
// token's hash, then a client and a serving certificate for the node and a
// client certificate for the service proxy (system:kube-proxy, requested as
// the bootstrapper) are requested as CertificateSigningRequests and stored
// in dir. A missing or expiring proxy certificate alone is requested again
// with the token, keeping the node's.
func JoinCredentials(ctx context.Context, serverURL string, token pki.JoinToken, dir, nodeName string, ips []net.IP, log *slog.Logger) (*Credentials, error) {
	now := time.Now()
	if creds, err := loadCredentials(dir, serverURL, now); err == nil {
		return withProxyIdentity(ctx, creds, serverURL, token, dir, now, log)
	} else if !errors.Is(err, os.ErrNotExist) {
		log.Info("stored node credentials unusable; joining again", "err", err)
	}
	ca, caPEM, err := fetchCA(ctx, serverURL, token)
	if err != nil {
		return nil, err
	}
	boot, err := bootstrapClient(serverURL, token, caPEM)
	if err != nil {
		return nil, err
	}
	clientSpec, servingSpec := nodeSpecs(nodeName, ips)
	client, err := requestCertificate(ctx, boot, clientSpec, certv1.KubeAPIServerClientKubeletSignerName, []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageClientAuth})
	if err != nil {
		return nil, fmt.Errorf("node client certificate: %w", err)
	}
	proxy, err := requestProxyCertificate(ctx, boot)
	if err != nil {
		return nil, err
	}
	partial, err := newCredentials(ca, serverURL, client, client, nil)
	if err != nil {
		return nil, err
	}
	asNode, err := newLazyClientset(partial.API)
	if err != nil {
		return nil, err
	}
	serving, err := requestCertificate(ctx, asNode, servingSpec, certv1.KubeletServingSignerName,
		[]certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageServerAuth})
	if err != nil {
		return nil, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, caFile), caPEM, 0o644); err != nil {
		return nil, fmt.Errorf("store CA: %w", err)
	}
	for base, kp := range map[string]*pki.KeyPair{clientBase: client, servingBase: serving, proxyBase: proxy} {
		if err := kp.Write(dir, base); err != nil {
			return nil, fmt.Errorf("store %s certificate: %w", base, err)
		}
	}
	log.Info("joined the cluster", "node", nodeName, "server", serverURL)
	return newCredentials(ca, serverURL, client, serving, proxy)
}

func loadCredentials(dir, serverURL string, now time.Time) (*Credentials, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, caFile))
	if err != nil {
		return nil, err
	}
	ca, err := pki.ParseCertPEM(caPEM)
	if err != nil {
		return nil, fmt.Errorf("stored CA: %w", err)
	}
	var pairs []*pki.KeyPair
	for _, base := range []string{clientBase, servingBase} {
		kp, err := loadValidKeyPair(dir, base, now)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, kp)
	}
	return newCredentials(ca, serverURL, pairs[0], pairs[1], nil)
}

// fetchCA reads the CA from cluster-info without trusting the connection,
// and accepts it only if it matches the join token's hash.
func fetchCA(ctx context.Context, serverURL string, token pki.JoinToken) (*x509.Certificate, []byte, error) {
	anon, err := newLazyClientset(&rest.Config{Host: serverURL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	if err != nil {
		return nil, nil, err
	}
	cm, err := anon.CoreV1().ConfigMaps(metav1.NamespacePublic).Get(ctx, "cluster-info", metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("read cluster-info from %s: %w", serverURL, err)
	}
	cfg, err := clientcmd.Load([]byte(cm.Data["kubeconfig"]))
	if err != nil || len(cfg.Clusters) != 1 {
		return nil, nil, fmt.Errorf("cluster-info from %s holds no usable kubeconfig", serverURL)
	}
	var caPEM []byte
	for _, c := range cfg.Clusters {
		caPEM = c.CertificateAuthorityData
	}
	ca, err := pki.ParseCertPEM(caPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster-info CA: %w", err)
	}
	if got := pki.CAHash(ca); got != token.CAHash {
		return nil, nil, fmt.Errorf("the server's CA (sha256 %s) is not the one the join token names (sha256 %s): wrong server or wrong token", got, token.CAHash)
	}
	return ca, caPEM, nil
}

// requestCertificate creates a CSR and waits for the signed certificate.
func requestCertificate(ctx context.Context, cs kubernetes.Interface, spec pki.LeafSpec, signer string, usages []certv1.KeyUsage) (*pki.KeyPair, error) {
	key, req, err := pki.NewRequest(spec)
	if err != nil {
		return nil, err
	}
	name := "node-csr-" + strings.ToLower(rand.String(10))
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	_, err = csrs.Create(ctx, &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       certv1.CertificateSigningRequestSpec{Request: req, SignerName: signer, Usages: usages},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create certificate signing request: %w", err)
	}
	var certPEM []byte
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		csr, err := csrs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range csr.Status.Conditions {
			if c.Type == certv1.CertificateDenied || c.Type == certv1.CertificateFailed {
				return false, fmt.Errorf("certificate signing request %s %s: %s %s", name, strings.ToLower(string(c.Type)), c.Reason, c.Message)
			}
		}
		certPEM = csr.Status.Certificate
		return len(certPEM) > 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("wait for certificate signing request %s: %w", name, err)
	}
	cert, err := pki.ParseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	return &pki.KeyPair{Cert: cert, Key: key}, nil
}
