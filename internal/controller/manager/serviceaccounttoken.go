package manager

import (
	"fmt"

	"github.com/capstan/capstan/internal/controller/serviceaccounttoken"
)

// serviceAccountTokenController fills legacy ServiceAccount token Secrets
// (upstream's serviceaccount-token controller). Like upstream it acts with
// the manager's own credentials, not a per-controller account; off
// without a token signer.
func serviceAccountTokenController(cc controllerContext) (controller, error) {
	if cc.LegacyTokens == nil {
		return controller{}, nil
	}
	var rootCA []byte
	if cc.CA != nil {
		rootCA = cc.CA.CertPEM()
	}
	core := cc.Informers.Core().V1()
	c, err := serviceaccounttoken.New(serviceaccounttoken.Options{Log: cc.Log.With("controller", "serviceaccount-token"),
		Client: cc.Client, ServiceAccounts: core.ServiceAccounts(), Secrets: core.Secrets(), Tokens: cc.LegacyTokens, RootCA: rootCA})
	if err != nil {
		return controller{}, fmt.Errorf("build serviceaccount-token controller: %w", err)
	}
	return runner("serviceaccount-token", 5, c.Run), nil
}
