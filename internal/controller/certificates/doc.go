// Package certificates approves and signs CertificateSigningRequests
// (certificates.k8s.io/v1) for the built-in signers, as upstream's
// csrapproving and csrsigning controllers do:
//
//   - kubernetes.io/kube-apiserver-client-kubelet: node client certificates
//     (CN system:node:<name>, O system:nodes), approved automatically when a
//     bootstrapper (join token) or the node itself asks;
//   - kubernetes.io/kubelet-serving: kubelet serving certificates, approved
//     automatically when the node asks for its own name (upstream leaves
//     these to an operator; a node agent joining with a token needs one);
//   - kubernetes.io/kube-apiserver-client: signed once someone approves them
//     (kubectl certificate approve). One shape is approved automatically, a
//     Capstan rule: CN system:kube-proxy with no O, usages exactly digital
//     signature, key encipherment and client auth, requested by a member of
//     system:bootstrappers. Joining agents use it for their service proxy's
//     own identity (upstream would need an administrator; a join token
//     holder is already trusted to add nodes).
//
// Decisions are pure functions of the request; the controller only moves
// them through the API. It must not hand out certificates for other signers.
package certificates
