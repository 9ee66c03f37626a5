package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan/capstan/internal/pki"
)

// TestJoinTokens creates a join token on a real server, reads the CA from
// cluster-info without credentials, checks it against the token's hash,
// authenticates with the token, and deletes it.
func TestJoinTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Start(ctx, Config{DataDir: t.TempDir(), BindAddress: "127.0.0.1", HTTPSPort: freePort(t), ServiceCIDR: "10.43.0.0/16", Log: slog.New(slog.DiscardHandler), DisableAgent: true})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = r.Wait() })
	admin := kubernetes.NewForConfigOrDie(r.Loopback)
	block, _ := pem.Decode(r.Loopback.CAData)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := CreateToken(ctx, admin, ca, time.Hour, "for n1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := pki.ParseJoinToken(tok.String())
	if err != nil || parsed != tok {
		t.Fatalf("printed token does not parse back: %v", err)
	}
	list, err := ListTokens(ctx, admin)
	if err != nil || len(list) != 1 || list[0].ID != tok.Bootstrap.ID || list[0].Description != "for n1" || list[0].Expires.IsZero() {
		t.Fatalf("ListTokens = %+v, %v", list, err)
	}

	anon := kubernetes.NewForConfigOrDie(&rest.Config{Host: r.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	cm, err := anon.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("anonymous cluster-info: %v", err)
	}
	info, err := clientcmd.Load([]byte(cm.Data["kubeconfig"]))
	if err != nil {
		t.Fatal(err)
	}
	caPEM := info.Clusters[""].CertificateAuthorityData
	block, _ = pem.Decode(caPEM)
	if got, _ := x509.ParseCertificate(block.Bytes); got == nil || pki.CAHash(got) != tok.CAHash {
		t.Fatal("cluster-info CA does not match the join token's hash")
	}
	joiner := kubernetes.NewForConfigOrDie(&rest.Config{Host: r.URL, BearerToken: tok.Bootstrap.String(), TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}})
	whoami := func() (*authenticationv1.SelfSubjectReview, error) {
		return joiner.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	}
	review, err := whoami()
	if err != nil || review.Status.UserInfo.Username != "system:bootstrap:"+tok.Bootstrap.ID {
		t.Fatalf("whoami with the token: %+v %v", review, err)
	}
	if err := DeleteToken(ctx, admin, tok.Bootstrap.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := whoami(); !apierrors.IsUnauthorized(err) {
		t.Fatalf("deleted token still authenticates: %v", err)
	}
	if err := DeleteToken(ctx, admin, tok.Bootstrap.ID); err == nil || err.Error() != `token "`+tok.Bootstrap.ID+`" not found` {
		t.Fatalf("deleting twice: %v", err)
	}
}
