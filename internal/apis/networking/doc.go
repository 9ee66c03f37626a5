// Package networking defaults and validates networking.k8s.io/v1 kinds:
// NetworkPolicy, Ingress and IngressClass.
//
// It checks field values only; it must not program network rules or
// configure ingress controllers.
package networking
