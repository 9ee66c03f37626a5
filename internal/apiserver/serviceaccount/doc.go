// Package serviceaccount issues and checks ServiceAccount tokens, as
// upstream kube-apiserver's token signer and ServiceAccount token
// authenticator: JWTs signed with the cluster's ServiceAccount key, carrying
// iss, sub, aud, exp, iat, nbf, jti and the "kubernetes.io" private claim
// (namespace, account, bound pod/secret/node, warnafter). The Issuer signs
// tokens and publishes the OIDC discovery document and key set; the
// Authenticator verifies a bearer token and turns it into the account's
// user, checking that the account and the bound object still exist with the
// UIDs the token names.
//
// It also signs and checks legacy, Secret-based tokens (iss
// "kubernetes/serviceaccount"), valid while their Secret exists, holds
// them and names the account.
//
// It must not write any object except the last-used label of a legacy
// token's Secret (through the LastUsedRecorder it is given), must not keep
// tokens (issued tokens are not stored anywhere), and reads objects only
// through its Getter.
package serviceaccount
