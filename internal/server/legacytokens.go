package server

import (
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
)

// tuneServiceAccountAuthn makes the ServiceAccount authenticator remember
// verified tokens for serviceaccount.DefaultCacheTTL (10 s, upstream's
// token cache TTL) so a token used again skips the signature check — the
// account and bound objects are still read on every request, so deleting
// them revokes at once — and label the Secrets of legacy tokens with the
// day they were last used (kubernetes.io/legacy-token-last-used), written
// through the loopback client. Another authenticator is returned as is.
func tuneServiceAccountAuthn(a apiserver.TokenAuthenticator, loopback *rest.Config) apiserver.TokenAuthenticator {
	sa, ok := a.(*serviceaccount.Authenticator)
	if !ok {
		return a
	}
	return sa.RecordLastUsed(serviceaccount.SecretLabeler{Client: kubernetes.NewForConfigOrDie(loopback)}).
		CacheFor(serviceaccount.DefaultCacheTTL)
}
