// Package webhook authorizes requests by asking a remote service, as
// kube-apiserver's --authorization-mode=Webhook with
// --authorization-webhook-config-file: it POSTs an authorization.k8s.io/v1
// SubjectAccessReview to the service a kubeconfig names. allowed: true
// allows, denied: true refuses outright (authz.DecisionDeny), anything else
// leaves the decision to the next authorizer. Answers are cached, allowed
// ones for the authorized TTL, others for the unauthorized TTL
// (kube-apiserver's defaults: 5m and 30s).
//
// A service that cannot be reached or answers garbage is logged and treated
// as no opinion, never as a fault: clients must not see a 500 because of
// it. This package must not cache such failures.
package webhook
