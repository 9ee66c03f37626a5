// Package oidc authenticates bearer tokens that are OpenID Connect ID
// tokens, as kube-apiserver's --oidc-* flags do: the token's issuer must be
// the configured one, its signature must verify against the issuer's
// published keys (found through discovery), its audience must hold the
// client ID and it must not be expired; the username and groups come from
// the configured claims, with the configured prefixes.
//
// Discovery is lazy: building an Authenticator does no I/O, so an issuer
// that is down never blocks the server's start; the first tokens of the
// issuer trigger discovery, retried at most once per RetryInterval while it
// fails. Tokens of other issuers are left to the next authenticator. This
// package must not cache users or keep per-token state, and must not talk
// to anything but the issuer.
package oidc
