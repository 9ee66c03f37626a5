package certificates

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"

	"github.com/capstan/capstan/internal/pki"
)

// parseRequest decodes the PEM CERTIFICATE REQUEST of a CSR.
func parseRequest(csr *certv1.CertificateSigningRequest) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(csr.Spec.Request)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("spec.request is not a PEM CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate request: %w", err)
	}
	return req, nil
}

// usagesWithin reports whether every usage is allowed and the required one
// is present.
func usagesWithin(usages []certv1.KeyUsage, required certv1.KeyUsage, allowed ...certv1.KeyUsage) bool {
	allowed = append(allowed, required)
	for _, u := range usages {
		if !slices.Contains(allowed, u) {
			return false
		}
	}
	return slices.Contains(usages, required)
}

// signingSpec checks a request against its signer's constraints and returns
// what the certificate will say.
func signingSpec(csr *certv1.CertificateSigningRequest, req *x509.CertificateRequest) (pki.LeafSpec, error) {
	spec := pki.LeafSpec{CommonName: req.Subject.CommonName, Organization: req.Subject.Organization}
	noSANs := len(req.DNSNames) == 0 && len(req.IPAddresses) == 0 && len(req.EmailAddresses) == 0 && len(req.URIs) == 0
	isNode := strings.HasPrefix(spec.CommonName, "system:node:") && len(spec.CommonName) > len("system:node:") &&
		slices.Equal(spec.Organization, []string{"system:nodes"})
	switch csr.Spec.SignerName {
	case certv1.KubeAPIServerClientKubeletSignerName:
		if !isNode || !noSANs {
			return spec, fmt.Errorf("a kubelet client certificate must have CN system:node:<name>, O system:nodes and no subject alternative names")
		}
		if !usagesWithin(csr.Spec.Usages, certv1.UsageClientAuth, certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment) {
			return spec, fmt.Errorf("a kubelet client certificate allows only the usages client auth, digital signature and key encipherment, and needs client auth")
		}
	case certv1.KubeletServingSignerName:
		if !isNode || len(req.EmailAddresses) > 0 || len(req.URIs) > 0 || len(req.DNSNames)+len(req.IPAddresses) == 0 {
			return spec, fmt.Errorf("a kubelet serving certificate must have CN system:node:<name>, O system:nodes and at least one DNS or IP subject alternative name, and no email or URI ones")
		}
		if !usagesWithin(csr.Spec.Usages, certv1.UsageServerAuth, certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment) {
			return spec, fmt.Errorf("a kubelet serving certificate allows only the usages server auth, digital signature and key encipherment, and needs server auth")
		}
		spec.DNSNames, spec.IPs, spec.Server = req.DNSNames, req.IPAddresses, true
	case certv1.KubeAPIServerClientSignerName:
		if !usagesWithin(csr.Spec.Usages, certv1.UsageClientAuth, certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment) {
			return spec, fmt.Errorf("a client certificate allows only the usages client auth, digital signature and key encipherment, and needs client auth")
		}
		if !noSANs {
			return spec, fmt.Errorf("a client certificate must not have subject alternative names")
		}
	default:
		return spec, fmt.Errorf("signer %q is not served here", csr.Spec.SignerName)
	}
	return spec, nil
}

// autoApproval says whether a pending request is approved without an
// operator, and with which message.
func autoApproval(csr *certv1.CertificateSigningRequest, spec pki.LeafSpec) (string, bool) {
	self := csr.Spec.Username == spec.CommonName
	switch csr.Spec.SignerName {
	case certv1.KubeAPIServerClientKubeletSignerName:
		if self || slices.Contains(csr.Spec.Groups, "system:bootstrappers") {
			return "Auto approving kubelet client certificate after SubjectAccessReview.", true
		}
	case certv1.KubeletServingSignerName:
		if self {
			return "Auto approving kubelet serving certificate requested by its own node.", true
		}
	case certv1.KubeAPIServerClientSignerName:
		if isKubeProxyRequest(csr, spec) {
			return "Auto approving kube-proxy client certificate requested by a bootstrapper.", true
		}
	}
	return "", false
}

// kubeProxyUser is the identity of every node's service proxy, bound to
// system:node-proxier by the default policy.
const kubeProxyUser = "system:kube-proxy"

// isKubeProxyRequest reports whether csr is exactly a joining node's request
// for the service proxy's client certificate: CN system:kube-proxy and no
// O, usages exactly digital signature, key encipherment and client auth,
// asked by a member of system:bootstrappers (a join token). This is a
// Capstan rule: upstream leaves such requests to an administrator, but a
// join token holder is already trusted to add nodes, and each node runs a
// proxy. signingSpec has already refused subject alternative names.
func isKubeProxyRequest(csr *certv1.CertificateSigningRequest, spec pki.LeafSpec) bool {
	if spec.CommonName != kubeProxyUser || len(spec.Organization) > 0 || !slices.Contains(csr.Spec.Groups, "system:bootstrappers") {
		return false
	}
	want := []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageClientAuth}
	got := slices.Clone(csr.Spec.Usages)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(slices.Compact(got), want)
}

// validity is how long a signed certificate lasts: spec.expirationSeconds
// (at least 10 minutes) or a year.
func validity(csr *certv1.CertificateSigningRequest) time.Duration {
	if s := csr.Spec.ExpirationSeconds; s != nil {
		return max(time.Duration(*s)*time.Second, 10*time.Minute)
	}
	return 365 * 24 * time.Hour
}

// state is where a CSR stands.
type state int

const (
	pending state = iota
	approved
	finished // denied, failed, or issued
)

func stateOf(csr *certv1.CertificateSigningRequest) state {
	if len(csr.Status.Certificate) > 0 {
		return finished
	}
	st := pending
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certv1.CertificateDenied, certv1.CertificateFailed:
			return finished
		case certv1.CertificateApproved:
			st = approved
		}
	}
	return st
}
