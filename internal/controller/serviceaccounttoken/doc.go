// Package serviceaccounttoken is upstream's ServiceAccount tokens
// controller for legacy, Secret-based tokens: a Secret of type
// kubernetes.io/service-account-token annotated with
// kubernetes.io/service-account.name gets its data token, ca.crt and
// namespace filled in and the account's UID annotated; a token Secret whose
// account is gone (or was recreated with another UID) is deleted.
//
// Like upstream since 1.24 it never creates token Secrets on its own: only
// Secrets users create are filled. It must not sign anything itself (the
// Generator does) and never touches Secrets of other types.
package serviceaccounttoken
