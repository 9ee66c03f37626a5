package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/internal/storage"
)

// serviceAccountTokens builds the ServiceAccount token issuer (signing with
// the key kept in pkiDir, created on first start) and the authenticator
// for its tokens, which reads accounts and bound objects through store.
// The discovery document points at the key set on the advertise address.
func serviceAccountTokens(cfg Config, pkiDir string, store *storage.Store, advertise net.IP, log *slog.Logger) (*serviceaccount.Issuer, apiserver.TokenAuthenticator, error) {
	key, err := pki.EnsureSigningKey(pkiDir, pki.ServiceAccountKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("service account signing key: %w", err)
	}
	name := cfg.ServiceAccountIssuer
	if name == "" {
		name = serviceaccount.DefaultIssuer
	}
	jwks := "https://" + net.JoinHostPort(advertise.String(), strconv.Itoa(cfg.HTTPSPort)) + "/openid/v1/jwks"
	issuer, err := serviceaccount.NewIssuer(name, key, nil, jwks)
	if err != nil {
		return nil, nil, err
	}
	objects, err := apiserver.NewStoreLookup(store)
	if err != nil {
		return nil, nil, err
	}
	return issuer, serviceaccount.NewAuthenticator(issuer, objects, nil, log.With("component", "serviceaccount-tokens")), nil
}

// issuerDiscoveryRole is upstream's system:service-account-issuer-discovery
// ClusterRole and its default binding to every ServiceAccount.
func issuerDiscoveryRole() (*rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
	const name = "system:service-account-issuer-discovery"
	meta := metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"},
		Annotations: map[string]string{"rbac.authorization.kubernetes.io/autoupdate": "true"}}
	role := &rbacv1.ClusterRole{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"},
		NonResourceURLs: []string{"/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: *meta.DeepCopy(),
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:serviceaccounts"}}}
	return role, binding
}

// ensureIssuerDiscoveryRole creates the discovery role and binding when
// missing (existing ones are left as the cluster admin set them).
func ensureIssuerDiscoveryRole(ctx context.Context, client kubernetes.Interface) error {
	role, binding := issuerDiscoveryRole()
	rbac := client.RbacV1()
	_, err := rbac.ClusterRoles().Create(ctx, role, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create clusterrole %s: %w", role.Name, err)
	}
	_, err = rbac.ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create clusterrolebinding %s: %w", binding.Name, err)
	}
	return nil
}
