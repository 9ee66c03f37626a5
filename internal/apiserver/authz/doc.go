// Package authz decides who may do what in the API server: upstream's RBAC
// authorizer (Roles, ClusterRoles and their bindings, including escalation
// prevention on writes of them), the Node authorizer that scopes what a
// kubelet identity (system:node:<name>) may touch, the Node-then-RBAC chain
// the server runs, and the default roles and bindings reconciled at start:
// upstream's, with one system:controller:<name> role per controller
// identity (controllers.go) and the scheduler's, DNS's and nodes' roles.
//
// Decisions are made from in-memory indexes kept current by storage watches;
// this package must not read the store per request (the one exception is a
// single pod read when the Node authorizer's pod graph has not seen a pod
// yet). It must not write RBAC objects except through ReconcileDefaults.
package authz
