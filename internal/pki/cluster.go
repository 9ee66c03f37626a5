package pki

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// File names under the PKI directory.
const (
	caBase      = "ca"
	servingBase = "serving"
	adminBase   = "admin"
	// AdminKubeconfig is the admin kubeconfig's file name in the data dir.
	AdminKubeconfig = "admin.kubeconfig"
)

// ServerOptions says what the API server's certificates must name.
type ServerOptions struct {
	// DNSNames and IPs become the serving certificate's SANs.
	DNSNames []string
	IPs      []net.IP
	// ServerURL is written into the admin kubeconfig.
	ServerURL string
}

// Cluster is the loaded PKI of one cluster.
type Cluster struct {
	CA      *KeyPair
	Serving *KeyPair
	Admin   *KeyPair
}

// EnsureCluster loads the cluster PKI from dir, creating what is missing: the CA
// (never replaced once made), a serving certificate (re-issued when it lacks a
// required SAN or is about to expire), the admin client certificate
// (O=system:masters) and kubeconfigPath pointing at opts.ServerURL.
func EnsureCluster(dir, kubeconfigPath string, opts ServerOptions, now time.Time) (*Cluster, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki dir: %w", err)
	}
	ca, err := LoadKeyPair(dir, caBase)
	if isNotExist(err) {
		ca, err = NewCA("capstan-ca", now)
		if err == nil {
			err = ca.Write(dir, caBase)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	serving, err := ensureLeaf(dir, servingBase, ca, LeafSpec{
		CommonName: "kube-apiserver", DNSNames: opts.DNSNames, IPs: opts.IPs, Server: true,
	}, now)
	if err != nil {
		return nil, err
	}
	admin, err := ensureLeaf(dir, adminBase, ca, LeafSpec{
		CommonName: "admin", Organization: []string{"system:masters"},
	}, now)
	if err != nil {
		return nil, err
	}
	c := &Cluster{CA: ca, Serving: serving, Admin: admin}
	if err := c.WriteKubeconfig(kubeconfigPath, opts.ServerURL, "admin", admin); err != nil {
		return nil, err
	}
	return c, nil
}

func ensureLeaf(dir, base string, ca *KeyPair, spec LeafSpec, now time.Time) (*KeyPair, error) {
	kp, err := LoadKeyPair(dir, base)
	if err == nil && covers(kp.Cert, ca.Cert, spec, now) {
		return kp, nil
	}
	if err != nil && !isNotExist(err) {
		return nil, err
	}
	kp, err = ca.Issue(spec, now)
	if err != nil {
		return nil, err
	}
	if err := kp.Write(dir, base); err != nil {
		return nil, fmt.Errorf("store %s certificate: %w", base, err)
	}
	return kp, nil
}

// WriteKubeconfig writes a kubeconfig for user authenticating with client to
// the server at serverURL, trusting the cluster CA. Everything is embedded.
func (c *Cluster) WriteKubeconfig(path, serverURL, user string, client *KeyPair) error {
	keyPEM, err := client.KeyPEM()
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["capstan"] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: c.CA.CertPEM()}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: client.CertPEM(), ClientKeyData: keyPEM}
	cfg.Contexts["capstan"] = &clientcmdapi.Context{Cluster: "capstan", AuthInfo: user}
	cfg.CurrentContext = "capstan"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create kubeconfig dir: %w", err)
	}
	return writeFileAtomic(path, data, 0o600)
}

// ServerTLS returns the API server's TLS configuration: the serving
// certificate, and client certificates verified against the cluster CA when
// presented (requests without one are anonymous and rejected later).
func (c *Cluster) ServerTLS() *tls.Config {
	return c.CA.ServingTLS(c.Serving)
}

// KubeletClientTLS issues the API server's client certificate for kubelets
// (CN kube-apiserver-kubelet-client, O system:masters, as upstream) and
// returns a client configuration trusting the cluster CA.
func (c *Cluster) KubeletClientTLS(now time.Time) (*tls.Config, error) {
	kp, err := c.CA.Issue(LeafSpec{CommonName: KubeletClientName, Organization: []string{"system:masters"}}, now)
	if err != nil {
		return nil, fmt.Errorf("kubelet client certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{kp.TLSCertificate()}, RootCAs: c.CA.Pool(), MinVersion: tls.VersionTLS12}, nil
}

// KubeletClientName is the common name the API server presents to kubelets.
const KubeletClientName = "kube-apiserver-kubelet-client"
