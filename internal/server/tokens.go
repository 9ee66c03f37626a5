package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/capstan/capstan/internal/pki"
)

// NodeTokenGroup is the extra group of join tokens, as upstream's
// system:bootstrappers:kubeadm:default-node-token.
const NodeTokenGroup = "system:bootstrappers:capstan:default-node-token"

// TokenInfo describes a stored join token (never its secret).
type TokenInfo struct {
	ID          string
	Expires     time.Time // zero: never
	Description string
}

// CreateToken stores a new bootstrap token in kube-system and returns the
// join token agents use; ttl 0 never expires.
func CreateToken(ctx context.Context, client kubernetes.Interface, ca *x509.Certificate, ttl time.Duration, description string, now time.Time) (pki.JoinToken, error) {
	bt, err := pki.NewBootstrapToken()
	if err != nil {
		return pki.JoinToken{}, err
	}
	data := map[string]string{
		"token-id": bt.ID, "token-secret": bt.Secret, "description": description,
		"usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true", "auth-extra-groups": NodeTokenGroup,
	}
	if ttl > 0 {
		data["expiration"] = now.Add(ttl).UTC().Format(time.RFC3339)
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + bt.ID, Namespace: metav1.NamespaceSystem},
		Type:       corev1.SecretTypeBootstrapToken, StringData: data,
	}
	if _, err := client.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		return pki.JoinToken{}, fmt.Errorf("store token: %w", err)
	}
	return pki.JoinToken{CAHash: pki.CAHash(ca), Bootstrap: bt}, nil
}

// ListTokens returns the stored bootstrap tokens, by ID.
func ListTokens(ctx context.Context, client kubernetes.Interface) ([]TokenInfo, error) {
	list, err := client.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{FieldSelector: "type=" + string(corev1.SecretTypeBootstrapToken)})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	var out []TokenInfo
	for _, s := range list.Items {
		info := TokenInfo{ID: string(s.Data["token-id"]), Description: string(s.Data["description"])}
		if exp, err := time.Parse(time.RFC3339, string(s.Data["expiration"])); err == nil {
			info.Expires = exp
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b TokenInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteToken removes a token by its ID or its whole "<id>.<secret>" form.
func DeleteToken(ctx context.Context, client kubernetes.Interface, idOrToken string) error {
	id, _, _ := strings.Cut(idOrToken, ".")
	err := client.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, "bootstrap-token-"+id, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("token %q not found", id)
	}
	if err != nil {
		return fmt.Errorf("delete token %s: %w", id, err)
	}
	return nil
}

// publishClusterInfo writes kube-public/cluster-info: a kubeconfig naming
// the server and its CA, readable without credentials, so joining agents can
// check the CA against their join token.
func publishClusterInfo(ctx context.Context, client kubernetes.Interface, ca *pki.KeyPair, serverURL string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[""] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: ca.CertPEM()}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("encode cluster-info: %w", err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cluster-info", Namespace: metav1.NamespacePublic},
		Data: map[string]string{"kubeconfig": string(data)}}
	cms := client.CoreV1().ConfigMaps(metav1.NamespacePublic)
	_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("publish cluster-info: %w", err)
	}
	return nil
}
