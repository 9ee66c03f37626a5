package serviceaccount

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4/jwt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/capstan/capstan/internal/apiserver"
)

// Legacy (Secret-based) ServiceAccount tokens, as upstream: a JWT with iss
// "kubernetes/serviceaccount", no expiry and no audience, kept in a Secret
// of type kubernetes.io/service-account-token. It is valid while that
// Secret exists, still holds the same token and names the account.
const (
	// LegacyIssuer is the iss claim of Secret-based tokens.
	LegacyIssuer = "kubernetes/serviceaccount"

	// LastUsedLabel is the Secret label upstream sets to the day (UTC,
	// YYYY-MM-DD) its legacy token was last used.
	LastUsedLabel = "kubernetes.io/legacy-token-last-used"
	// InvalidSinceLabel marks a Secret whose token upstream's cleaner has
	// invalidated; such a token is rejected.
	InvalidSinceLabel = "kubernetes.io/legacy-token-invalid-since"
)

// legacyClaims are the private claims of a Secret-based token.
type legacyClaims struct {
	Namespace          string `json:"kubernetes.io/serviceaccount/namespace"`
	SecretName         string `json:"kubernetes.io/serviceaccount/secret.name"`
	ServiceAccountName string `json:"kubernetes.io/serviceaccount/service-account.name"`
	ServiceAccountUID  string `json:"kubernetes.io/serviceaccount/service-account.uid"`
}

// legacyRegistered are the registered claims of a Secret-based token:
// only iss and sub, as upstream.
type legacyRegistered struct {
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
}

// LegacyToken signs the token the Secret namespace/secret holds for the
// account namespace/account with UID accountUID, as upstream's tokens
// controller fills it in.
func (i *Issuer) LegacyToken(namespace, account, accountUID, secret string) (string, error) {
	pub := legacyRegistered{Issuer: LegacyIssuer, Subject: Subject(namespace, account)}
	priv := legacyClaims{Namespace: namespace, SecretName: secret, ServiceAccountName: account, ServiceAccountUID: accountUID}
	tok, err := jwt.Signed(i.signer).Claims(pub).Claims(priv).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign legacy token for secret %s/%s: %w", namespace, secret, err)
	}
	return tok, nil
}

// LastUsedRecorder records that the legacy token of a Secret was used on
// day (YYYY-MM-DD, UTC) by setting LastUsedLabel; it is called at most
// when the label does not say day already. Errors are only logged.
type LastUsedRecorder interface {
	RecordLegacyTokenUse(ctx context.Context, namespace, secret, day string) error
}

// checkLegacy checks the claims of a Secret-based token whose signature
// is verified (raw is the token itself) and returns its user.
func (a *Authenticator) checkLegacy(ctx context.Context, raw string, k legacyClaims) (apiserver.User, error) {
	switch {
	case k.Namespace == "":
		return apiserver.User{}, invalid("namespace claim is missing")
	case k.SecretName == "":
		return apiserver.User{}, invalid("secretName claim is missing")
	case k.ServiceAccountName == "":
		return apiserver.User{}, invalid("serviceAccountName claim is missing")
	case k.ServiceAccountUID == "":
		return apiserver.User{}, invalid("serviceAccountUID claim is missing")
	}
	// No aud claim: upstream treats such tokens as meant for the API
	// audiences.
	if auds, ok := apiserver.AudiencesFrom(ctx); ok && !slices.ContainsFunc(auds, func(s string) bool { return slices.Contains(a.audiences, s) }) {
		return apiserver.User{}, invalid("token audiences %q is invalid for the target audiences %q", a.audiences, auds)
	}
	secret, err := a.legacySecret(ctx, raw, k)
	if err != nil {
		return apiserver.User{}, err
	}
	if err := a.live(ctx, "serviceaccounts", k.Namespace, ref{Name: k.ServiceAccountName, UID: k.ServiceAccountUID}, 0); err != nil {
		return apiserver.User{}, err
	}
	a.recordUse(ctx, secret)
	return apiserver.User{
		Name:   Subject(k.Namespace, k.ServiceAccountName),
		UID:    k.ServiceAccountUID,
		Groups: []string{allGroup, groupPrefix + k.Namespace},
	}, nil
}

// legacySecret reads the token's Secret and checks that it still holds
// this token for this account.
func (a *Authenticator) legacySecret(ctx context.Context, raw string, k legacyClaims) (*corev1.Secret, error) {
	obj, err := a.objects.Get(ctx, corev1.SchemeGroupVersion.WithResource("secrets"), k.Namespace, k.SecretName)
	if apierrors.IsNotFound(err) {
		return nil, invalid("Token has been invalidated")
	}
	if err != nil {
		return nil, fmt.Errorf("check legacy service account token: %w", err)
	}
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return nil, fmt.Errorf("check legacy service account token: unexpected %T", obj)
	}
	if secret.DeletionTimestamp != nil {
		return nil, invalid("Token has been invalidated")
	}
	if _, ok := secret.Labels[InvalidSinceLabel]; ok {
		return nil, invalid("Token has been invalidated")
	}
	if subtle.ConstantTimeCompare(secret.Data[corev1.ServiceAccountTokenKey], []byte(raw)) != 1 {
		return nil, invalid("Token does not match server's copy")
	}
	name, uid := secret.Annotations[corev1.ServiceAccountNameKey], secret.Annotations[corev1.ServiceAccountUIDKey]
	if name != k.ServiceAccountName || (uid != "" && uid != k.ServiceAccountUID) {
		return nil, invalid("Token does not match the secret's service account")
	}
	return secret, nil
}

// recordUse sets the Secret's last-used label to today when it says
// otherwise (or tomorrow, a clock ahead of ours), as upstream.
func (a *Authenticator) recordUse(ctx context.Context, secret *corev1.Secret) {
	if a.lastUsed == nil {
		return
	}
	now := a.clock.Now().UTC()
	today, tomorrow := now.Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")
	if v := secret.Labels[LastUsedLabel]; v == today || v == tomorrow {
		return
	}
	if err := a.lastUsed.RecordLegacyTokenUse(ctx, secret.Namespace, secret.Name, today); err != nil {
		a.log.Warn("legacy token last-used label not updated", "secret", secret.Namespace+"/"+secret.Name, "err", err)
	}
}
