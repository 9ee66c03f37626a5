// Package abac is upstream's attribute-based authorizer
// (--authorization-mode=ABAC with --authorization-policy-file): a file of
// abac.authorization.kubernetes.io/v1beta1 Policy objects, one JSON object
// per line, each allowing a user or group (or "*") some resources,
// namespaces and API groups (or "*"), read-only or not, or a non-resource
// path ("*", exact, or a "/prefix/*" pattern). A request is allowed when any
// policy matches; otherwise the authorizer has no opinion.
//
// The policy is read once at start; a malformed line is an error naming the
// file and line. This package must not reload the file, watch anything or
// do I/O while authorizing.
package abac
