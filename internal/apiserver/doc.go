// Package apiserver serves the Kubernetes REST API over the object store:
// routing of group/version/resource paths, discovery, content negotiation
// (JSON, YAML, protobuf, Tables), the verbs (get, list, watch, create,
// update, patch, delete, deletecollection), subresources, Status errors,
// request limits, health checks and request metrics. Creates and updates
// pass through the admission chain (package admission; mutating plugins
// after defaulting, validating ones after validation), whose plugins read
// through the server: the objects they read on nearly every create
// (namespaces, ServiceAccounts, LimitRanges, ResourceQuotas,
// PriorityClasses) from the watch cache once it holds this server's own
// writes of them, everything else and cache misses from the store.
//
// It must not run controllers or any other component's logic: everything
// that reacts to objects is a client of this server.
package apiserver
