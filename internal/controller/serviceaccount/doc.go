// Package serviceaccount is the service-account controller: it makes sure
// every active namespace holds the ServiceAccounts every namespace must
// have (by default only "default"), re-creating them when they are deleted.
//
// It must not create accounts in namespaces that are terminating, must not
// modify or delete accounts it finds, and must not mint tokens: token
// issuing belongs to the API server's serviceaccounts/token subresource.
package serviceaccount
