// Package webhooktest writes webhook kubeconfig files that point at
// httptest TLS servers, for tests of the token and authorization webhooks.
// It must not be used outside tests.
package webhooktest
