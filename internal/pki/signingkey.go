package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// ServiceAccountKeyFile is the ServiceAccount token signing key's file name
// in the PKI directory, next to the CA.
const ServiceAccountKeyFile = "service-account.key"

// EnsureSigningKey returns the ECDSA P-256 key stored PEM-encoded (PKCS#8)
// at dir/file, creating it (mode 0600) on first use, so tokens signed before
// a restart stay valid after it.
func EnsureSigningKey(dir, file string) (crypto.Signer, error) {
	path := filepath.Join(dir, file)
	data, err := os.ReadFile(path)
	if err == nil {
		return parseSigningKey(data)
	}
	if !isNotExist(err) {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal signing key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

func parseSigningKey(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("signing key: no PEM block")
	}
	var key any
	var err error
	switch b.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("parse signing key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key: %T cannot sign", key)
	}
	return signer, nil
}
