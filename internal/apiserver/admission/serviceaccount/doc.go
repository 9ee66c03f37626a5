// Package serviceaccount is the ServiceAccount admission plugin: a new pod
// runs as spec.serviceAccountName ("default" when unset), which must exist
// in the pod's namespace; the account's imagePullSecrets are copied into
// pods that list none. Mirror pods (static pods published by a kubelet) may
// not reference a service account.
//
// The projected "kube-api-access-xxxxx" token volume upstream adds is NOT
// added: Capstan has no TokenRequest API yet. This package must not create
// service accounts (the serviceaccount controller does that).
package serviceaccount
