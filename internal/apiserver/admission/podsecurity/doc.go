// Package podsecurity is the PodSecurity admission plugin: it evaluates pods
// against the Pod Security Standards (privileged, baseline, restricted)
// chosen by the labels pod-security.kubernetes.io/<mode>[-version] of their
// namespace, refusing pods that violate the enforce level with upstream's
// message and returning Warning headers for the warn level. Workload
// resources (Deployments, Jobs, …) are never refused; their pod templates
// only get warnings.
//
// The checks are plain functions of pod metadata and spec, in the order and
// with the texts upstream uses, at the latest version of the standards (a
// version label changes the label shown, not the checks run). Pods evaluated get
// the audit annotations pod-security.kubernetes.io/enforce-policy and, for
// the audit level, audit-violations, as upstream. The package must not
// change objects, and must not read anything but the namespace.
package podsecurity
