package pki

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

func TestEnsureClusterReusesAndReissues(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "admin.kubeconfig")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := ServerOptions{DNSNames: []string{"kubernetes"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, ServerURL: "https://127.0.0.1:6443"}

	first, err := EnsureCluster(dir, kc, opts, now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := EnsureCluster(dir, kc, opts, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.CA.Cert.Equal(second.CA.Cert) || !first.Serving.Cert.Equal(second.Serving.Cert) || !first.Admin.Cert.Equal(second.Admin.Cert) {
		t.Fatal("second start did not reuse the certificates")
	}

	opts.IPs = append(opts.IPs, net.ParseIP("10.43.0.1"))
	third, err := EnsureCluster(dir, kc, opts, now)
	if err != nil {
		t.Fatal(err)
	}
	if !third.CA.Cert.Equal(first.CA.Cert) {
		t.Fatal("CA was replaced")
	}
	if third.Serving.Cert.Equal(first.Serving.Cert) {
		t.Fatal("serving certificate was not re-issued for a new SAN")
	}
	if err := third.Serving.Cert.VerifyHostname("10.43.0.1"); err != nil {
		t.Fatalf("new serving cert: %v", err)
	}
	if got := third.Admin.Cert.Subject.Organization; len(got) != 1 || got[0] != "system:masters" {
		t.Fatalf("admin organization = %v", got)
	}

	cfg, err := clientcmd.LoadFromFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster].Server != opts.ServerURL {
		t.Fatalf("kubeconfig server mismatch: %+v", cfg.Clusters)
	}
}
