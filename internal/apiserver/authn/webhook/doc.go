// Package webhook authenticates bearer tokens by asking a remote service,
// as kube-apiserver's --authentication-token-webhook-config-file: it POSTs
// an authentication.k8s.io/v1 TokenReview to the service named by a
// kubeconfig file and takes the user from status.user, caching answers by
// token hash for the configured TTL.
//
// It also holds what the authorization webhook shares with it: Remote, a
// client for a webhook kubeconfig, and Cache, a bounded TTL cache. It must
// not keep tokens in memory (only their SHA-256) and must not cache
// failures to reach the service.
package webhook
