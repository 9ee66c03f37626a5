// Package rbac defaults and validates the rbac.authorization.k8s.io/v1
// kinds: Role, ClusterRole, RoleBinding and ClusterRoleBinding.
//
// It checks the objects' shape only (rules have verbs, roleRef and subjects
// are well formed, roleRef is immutable). It must not authorize requests or
// check privilege escalation: that is the authorizer's job.
package rbac
