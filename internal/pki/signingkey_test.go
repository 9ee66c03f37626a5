package pki

import (
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureSigningKeyReusesKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	first, err := EnsureSigningKey(dir, ServiceAccountKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("key is %T, want ECDSA", first)
	}
	st, err := os.Stat(filepath.Join(dir, ServiceAccountKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	second, err := EnsureSigningKey(dir, ServiceAccountKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !first.(*ecdsa.PrivateKey).Equal(second) {
		t.Error("second start generated a new key instead of reusing the stored one")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.key"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSigningKey(dir, "bad.key"); err == nil {
		t.Error("garbage key file accepted")
	}
}
