package serviceaccounttoken

import (
	"bytes"

	corev1 "k8s.io/api/core/v1"
)

// Action is what a token Secret needs.
type Action int

const (
	// Keep: the Secret is complete, or not a token Secret this controller
	// looks after.
	Keep Action = iota
	// Complete: data or annotations are missing; see Fill.
	Complete
	// Delete: its account no longer exists.
	Delete
)

// Plan decides what secret needs given its account (nil: the account does
// not exist, or exists with another UID than the Secret names) and the CA
// bundle (empty: ca.crt is not managed). Only the Secret's token, ca.crt
// and namespace data and its account UID annotation are managed, as
// upstream: a token the user put in the Secret is kept.
func Plan(secret *corev1.Secret, sa *corev1.ServiceAccount, rootCA []byte) Action {
	if secret.Type != corev1.SecretTypeServiceAccountToken || secret.Annotations[corev1.ServiceAccountNameKey] == "" ||
		secret.DeletionTimestamp != nil {
		return Keep
	}
	if sa == nil {
		return Delete
	}
	d := secret.Data
	switch {
	case len(d[corev1.ServiceAccountTokenKey]) == 0,
		len(d[corev1.ServiceAccountNamespaceKey]) == 0,
		len(rootCA) > 0 && !bytes.Equal(d[corev1.ServiceAccountRootCAKey], rootCA),
		secret.Annotations[corev1.ServiceAccountUIDKey] != string(sa.UID):
		return Complete
	}
	return Keep
}

// Fill returns a copy of secret completed for sa: token (from token() when
// the Secret has none), ca.crt, namespace and the account annotations.
func Fill(secret *corev1.Secret, sa *corev1.ServiceAccount, rootCA []byte, token func() (string, error)) (*corev1.Secret, error) {
	next := secret.DeepCopy()
	if next.Data == nil {
		next.Data = map[string][]byte{}
	}
	if len(next.Data[corev1.ServiceAccountTokenKey]) == 0 {
		tok, err := token()
		if err != nil {
			return nil, err
		}
		next.Data[corev1.ServiceAccountTokenKey] = []byte(tok)
	}
	if len(rootCA) > 0 {
		next.Data[corev1.ServiceAccountRootCAKey] = bytes.Clone(rootCA)
	}
	if len(next.Data[corev1.ServiceAccountNamespaceKey]) == 0 {
		next.Data[corev1.ServiceAccountNamespaceKey] = []byte(next.Namespace)
	}
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[corev1.ServiceAccountNameKey] = sa.Name
	next.Annotations[corev1.ServiceAccountUIDKey] = string(sa.UID)
	return next, nil
}
