package certificates

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
)

// expectErrors fails unless errs are exactly want ("<type> <field>").
func csrPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n1"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestValidateCertificateSigningRequest(t *testing.T) {
	request := csrPEM(t)
	short := int32(60)
	for _, tc := range []struct {
		name   string
		mutate func(*certificatesv1.CertificateSigningRequestSpec)
		want   []string
	}{
		{"valid", func(*certificatesv1.CertificateSigningRequestSpec) {}, nil},
		{"not pem", func(s *certificatesv1.CertificateSigningRequestSpec) { s.Request = []byte("hello") }, []string{"FieldValueInvalid spec.request"}},
		{"wrong pem type", func(s *certificatesv1.CertificateSigningRequestSpec) {
			s.Request = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})
		}, []string{"FieldValueInvalid spec.request"}},
		{"usages", func(s *certificatesv1.CertificateSigningRequestSpec) {
			s.Usages = []certificatesv1.KeyUsage{"client auth", "flying", "client auth"}
		}, []string{"FieldValueNotSupported spec.usages[1]", "FieldValueDuplicate spec.usages[2]"}},
		{"no usages", func(s *certificatesv1.CertificateSigningRequestSpec) { s.Usages = []certificatesv1.KeyUsage{} },
			[]string{"FieldValueRequired spec.usages"}},
		{"no signer", func(s *certificatesv1.CertificateSigningRequestSpec) { s.SignerName = "" }, []string{"FieldValueRequired spec.signerName"}},
		{"signer without path", func(s *certificatesv1.CertificateSigningRequestSpec) { s.SignerName = "example.com" },
			[]string{"FieldValueInvalid spec.signerName"}},
		{"signer single label domain", func(s *certificatesv1.CertificateSigningRequestSpec) { s.SignerName = "example/signer" },
			[]string{"FieldValueInvalid spec.signerName"}},
		{"legacy signer", func(s *certificatesv1.CertificateSigningRequestSpec) { s.SignerName = "kubernetes.io/legacy-unknown" },
			[]string{"FieldValueInvalid spec.signerName"}},
		{"short expiration", func(s *certificatesv1.CertificateSigningRequestSpec) { s.ExpirationSeconds = &short },
			[]string{"FieldValueInvalid spec.expirationSeconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csr := &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{
				Request: request, SignerName: "kubernetes.io/kube-apiserver-client-kubelet"}}
			DefaultCertificateSigningRequest(csr)
			tc.mutate(&csr.Spec)
			fieldtest.ExpectErrors(t, ValidateCertificateSigningRequest(csr), tc.want...)
		})
	}
}
