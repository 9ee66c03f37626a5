package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/pki"
)

// The service proxy's own identity, as upstream's kube-proxy: user
// system:kube-proxy in no group of its own, which the default policy binds
// to system:node-proxier (read Services, EndpointSlices and Nodes; nothing
// else).
const (
	kubeProxyUser = "system:kube-proxy"
	proxyBase     = "kube-proxy"
)

// proxySpec is the service proxy's client certificate: CN system:kube-proxy
// and no O.
func proxySpec() pki.LeafSpec { return pki.LeafSpec{CommonName: kubeProxyUser} }

// proxyUsages are the usages of the proxy's certificate request, the exact
// shape the certificates controller approves for a bootstrapper.
func proxyUsages() []certv1.KeyUsage {
	return []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageClientAuth}
}

// bootstrapClient is a client authenticated with the join token's bootstrap
// token (a member of system:bootstrappers), trusting caPEM.
func bootstrapClient(serverURL string, token pki.JoinToken, caPEM []byte) (kubernetes.Interface, error) {
	cs, err := newLazyClientset(&rest.Config{Host: serverURL, BearerToken: token.Bootstrap.String(),
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}})
	if err != nil {
		return nil, fmt.Errorf("build bootstrap client: %w", err)
	}
	return cs, nil
}

// requestProxyCertificate asks, as a bootstrapper, for the service proxy's
// client certificate (signer kubernetes.io/kube-apiserver-client, approved
// automatically for exactly this shape).
func requestProxyCertificate(ctx context.Context, boot kubernetes.Interface) (*pki.KeyPair, error) {
	kp, err := requestCertificate(ctx, boot, proxySpec(), certv1.KubeAPIServerClientSignerName, proxyUsages())
	if err != nil {
		return nil, fmt.Errorf("kube-proxy client certificate: %w", err)
	}
	return kp, nil
}

// withProxyIdentity sets creds.Proxy of a joined agent whose node
// credentials were loaded from dir: from the stored kube-proxy certificate
// when it is valid for another day, otherwise from a new one requested with
// the join token and stored in dir (an agent joined by an older Capstan
// has none yet).
func withProxyIdentity(ctx context.Context, creds *Credentials, serverURL string, token pki.JoinToken, dir string, now time.Time, log *slog.Logger) (*Credentials, error) {
	caPEM := creds.API.CAData
	kp, err := loadValidKeyPair(dir, proxyBase, now)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Info("stored kube-proxy credentials unusable; requesting new ones", "err", err)
		}
		boot, err := bootstrapClient(serverURL, token, caPEM)
		if err != nil {
			return nil, err
		}
		if kp, err = requestProxyCertificate(ctx, boot); err != nil {
			return nil, fmt.Errorf("%w (the join token must still be valid to obtain it)", err)
		}
		if err := kp.Write(dir, proxyBase); err != nil {
			return nil, fmt.Errorf("store %s certificate: %w", proxyBase, err)
		}
	}
	if creds.Proxy, err = clientConfig(caPEM, serverURL, kp); err != nil {
		return nil, err
	}
	return creds, nil
}

// loadValidKeyPair loads base from dir and refuses a certificate that
// expires within renewBefore.
func loadValidKeyPair(dir, base string, now time.Time) (*pki.KeyPair, error) {
	kp, err := pki.LoadKeyPair(dir, base)
	if err != nil {
		return nil, err
	}
	if now.Add(renewBefore).After(kp.Cert.NotAfter) {
		return nil, fmt.Errorf("%s certificate expires %s", base, kp.Cert.NotAfter.Format(time.RFC3339))
	}
	return kp, nil
}

// proxyClientOf is the service proxy's client: its own identity, never the
// node's.
func proxyClientOf(creds *Credentials) (kubernetes.Interface, error) {
	if creds.Proxy == nil {
		return nil, errors.New("no credentials for the service proxy (system:kube-proxy)")
	}
	cs, err := newLazyClientset(creds.Proxy)
	if err != nil {
		return nil, fmt.Errorf("build service proxy client: %w", err)
	}
	return cs, nil
}
