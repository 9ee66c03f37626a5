// Package audit is the API server's audit log, as kube-apiserver's
// --audit-policy-file and --audit-log-* flags: the audit.k8s.io/v1 Policy
// (which requests are logged at which level), the audit.k8s.io/v1 Event
// written per request stage, and a file backend that writes JSON lines
// through a bounded queue.
//
// Secret payloads are never logged: requests for core Secrets (and the
// other credential-carrying requests listed in sensitive) are capped at
// level Metadata whatever the policy says, so neither their request nor
// their response body can reach the log. ConfigMaps follow the policy:
// upstream's recommended policies log them at Metadata too, and a policy
// that wants that says so with a rule.
//
// It must not know HTTP routing, storage or authorization: the API server
// fills Attributes, asks the Policy for a Decision and hands complete Events
// to a Sink. A Sink never blocks a request for longer than its bound.
package audit
