// Package rootcacertpublisher is upstream's root-ca-cert-publisher
// controller: every active namespace holds the ConfigMap kube-root-ca.crt
// whose ca.crt is the cluster CA, so pods can verify the API server through
// the projected kube-api-access volume. Edits and deletions of the ConfigMap
// are undone.
//
// It must not touch other ConfigMaps, nor create the ConfigMap in a
// namespace that is being deleted.
package rootcacertpublisher
