package apiserver

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/pki"
)

// bootstrapUser authenticates a bootstrap token "<id>.<secret>" against the
// Secret kube-system/bootstrap-token-<id>, as upstream's bootstrap token
// authenticator does: the Secret must be of type bootstrap.kubernetes.io/token,
// allow authentication, match the secret and not be expired.
func (s *Server) bootstrapUser(ctx context.Context, token string) (User, bool) {
	bt, err := pki.ParseBootstrapToken(token)
	if err != nil {
		return User{}, false
	}
	secrets := s.byGVR[corev1.SchemeGroupVersion.WithResource("secrets")]
	obj, err := s.store.Get(ctx, secrets.key("kube-system", "bootstrap-token-"+bt.ID))
	if err != nil {
		return User{}, false
	}
	sec := obj.(*corev1.Secret)
	data := func(k string) string { return string(sec.Data[k]) }
	if sec.Type != corev1.SecretTypeBootstrapToken || sec.DeletionTimestamp != nil ||
		data("token-id") != bt.ID || !bt.Matches(data("token-secret")) || data("usage-bootstrap-authentication") != "true" {
		return User{}, false
	}
	if exp := data("expiration"); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil || !s.clock.Now().Before(t) {
			return User{}, false
		}
	}
	groups := []string{"system:bootstrappers"}
	for _, g := range strings.Split(data("auth-extra-groups"), ",") {
		if g = strings.TrimSpace(g); strings.HasPrefix(g, "system:bootstrappers:") {
			groups = append(groups, g)
		}
	}
	return User{Name: "system:bootstrap:" + bt.ID, Groups: append(groups, "system:authenticated")}, true
}

// authenticateToken tries bootstrap tokens, then each configured
// authenticator; the first that accepts the token decides, as upstream's
// union authenticator. Every user gets system:authenticated.
func (s *Server) authenticateToken(ctx context.Context, token string) (User, bool) {
	if u, ok := s.bootstrapUser(ctx, token); ok {
		return u, true
	}
	for _, a := range s.cfg.TokenAuthenticators {
		u, ok, err := a.AuthenticateToken(ctx, token)
		if err != nil {
			s.log.Warn("token authentication", "authenticator", fmt.Sprintf("%T", a), "err", err)
			continue
		}
		if ok {
			if !slices.Contains(u.Groups, "system:authenticated") {
				u.Groups = append(slices.Clip(u.Groups), "system:authenticated")
			}
			return u, true
		}
	}
	return User{}, false
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
