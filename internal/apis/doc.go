// Package apis is the entry point the API server uses to default and validate
// objects of the built-in kinds of k8s.io/api before they are stored.
//
// Default applies upstream's defaulting, ValidateCreate and ValidateUpdate check
// ObjectMeta for every kind and dispatch to the group packages (core, apps,
// batch, rbac, ...) for kind-specific rules. The returned field.ErrorList is
// phrased like upstream's so the server can turn it into the same 422 Status.
//
// This package must not touch storage, perform admission (service account
// injection, priority, quota), or set server-managed metadata such as uid,
// resourceVersion, generation or creationTimestamp: the API server does those.
package apis
