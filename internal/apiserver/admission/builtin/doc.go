// Package builtin lists Capstan's built-in admission plugins in their fixed
// upstream order and builds the admission.Chain the API server runs.
//
// NamespaceLifecycle is not here: the API server itself refuses writes into
// missing or terminating namespaces and deletion of default, kube-system and
// kube-public, always. ResourceQuota and the webhook plugins do not exist
// yet. This package must hold no state; it only wires plugins.
package builtin
