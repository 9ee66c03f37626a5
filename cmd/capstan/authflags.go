package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/capstan/capstan/internal/server"
)

// authFlags binds kube-apiserver's OIDC, token webhook, authorization mode,
// ABAC and authorization webhook flags, with upstream's names and defaults.
func authFlags(f *pflag.FlagSet, o *server.AuthOptions) {
	f.StringVar(&o.OIDC.IssuerURL, "oidc-issuer-url", "", "https URL of the OpenID issuer whose ID tokens are accepted; must match the tokens' iss claim")
	f.StringVar(&o.OIDC.ClientID, "oidc-client-id", "", "client ID the ID tokens must be issued for (their aud claim); required with --oidc-issuer-url")
	f.StringVar(&o.OIDC.UsernameClaim, "oidc-username-claim", "sub", "ID token claim holding the username")
	f.StringVar(&o.OIDC.UsernamePrefix, "oidc-username-prefix", "", `prefix for usernames; default "<issuer-url>#" unless the claim is email; "-" disables prefixing`)
	f.StringVar(&o.OIDC.GroupsClaim, "oidc-groups-claim", "", "ID token claim (string or array of strings) holding the user's groups")
	f.StringVar(&o.OIDC.GroupsPrefix, "oidc-groups-prefix", "", "prefix for groups taken from the groups claim")
	f.StringVar(&o.OIDC.CAFile, "oidc-ca-file", "", "PEM CA bundle that signed the issuer's serving certificate; default the host's roots")
	f.StringToStringVar(&o.OIDC.RequiredClaims, "oidc-required-claim", nil, "key=value claim the ID token must carry; repeat for several")
	f.StringSliceVar(&o.OIDC.SigningAlgs, "oidc-signing-algs", []string{"RS256"}, "JOSE algorithms ID tokens may be signed with")
	f.StringVar(&o.TokenWebhookConfigFile, "authentication-token-webhook-config-file", "", "kubeconfig naming a remote service that answers TokenReview (authentication.k8s.io/v1) for bearer tokens")
	f.DurationVar(&o.TokenWebhookCacheTTL, "authentication-token-webhook-cache-ttl", 2*time.Minute, "how long token webhook answers are cached")
	f.StringSliceVar(&o.AuthorizationModes, "authorization-mode", nil, "ordered authorizers: Node,RBAC first, then ABAC, Webhook, AlwaysAllow, AlwaysDeny; default Node,RBAC plus ABAC and Webhook when their files are given")
	f.StringVar(&o.AuthorizationPolicyFile, "authorization-policy-file", "", "ABAC policy file: one abac.authorization.kubernetes.io/v1beta1 Policy JSON object a line")
	f.StringVar(&o.AuthorizationWebhookConfigFile, "authorization-webhook-config-file", "", "kubeconfig naming a remote service that answers SubjectAccessReview (authorization.k8s.io/v1)")
	f.DurationVar(&o.AuthorizationWebhookAuthorizedTTL, "authorization-webhook-cache-authorized-ttl", 5*time.Minute, "how long allowed answers of the authorization webhook are cached")
	f.DurationVar(&o.AuthorizationWebhookUnauthorizedTTL, "authorization-webhook-cache-unauthorized-ttl", 30*time.Second, "how long other answers of the authorization webhook are cached")
}
