package webhooktest

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig writes, in a temp dir of t, a kubeconfig whose current
// context names srv (its serving certificate as the CA) at path on srv,
// with a bearer token for the user, as an operator would for
// --authentication-token-webhook-config-file or
// --authorization-webhook-config-file; it returns the file's path.
func Kubeconfig(t testing.TB, srv *httptest.Server, path string) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["remote"] = &clientcmdapi.Cluster{Server: srv.URL + path, CertificateAuthorityData: ca}
	cfg.AuthInfos["apiserver"] = &clientcmdapi.AuthInfo{Token: "webhook-client-token"}
	cfg.Contexts["webhook"] = &clientcmdapi.Context{Cluster: "remote", AuthInfo: "apiserver"}
	cfg.CurrentContext = "webhook"
	file := filepath.Join(t.TempDir(), "webhook.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, file); err != nil {
		t.Fatalf("write webhook kubeconfig: %v", err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
