// Package serviceaccount is the ServiceAccount admission plugin: a new pod
// runs as spec.serviceAccountName ("default" when unset), which must exist
// in the pod's namespace; the account's imagePullSecrets are copied into
// pods that list none. Mirror pods (static pods published by a kubelet) may
// not reference a service account.
//
// Unless the pod or its account sets automountServiceAccountToken false, the
// plugin adds upstream's projected "kube-api-access-xxxxx" volume (a bound
// token, the kube-root-ca.crt CA and the namespace) and mounts it read-only
// at /var/run/secrets/kubernetes.io/serviceaccount in every container and
// init container without a mount there. This package must not create
// service accounts (the serviceaccount controller does that) nor tokens
// (the kubelet requests them for the volume).
package serviceaccount
