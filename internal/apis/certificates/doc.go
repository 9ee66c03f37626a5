// Package certificates defaults and validates certificates.k8s.io/v1
// CertificateSigningRequests.
//
// It checks the request PEM, signer name and usages; it must not sign or
// approve anything (the signer controllers do) and must not read or write
// storage. ObjectMeta is validated by package apis.
package certificates
