package serviceaccounttoken

import (
	"errors"
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func secret(mutate func(s *corev1.Secret)) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tok", Annotations: map[string]string{
			corev1.ServiceAccountNameKey: "robot", corev1.ServiceAccountUIDKey: "uid-1"}},
		Type: corev1.SecretTypeServiceAccountToken,
		Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte("jwt"), corev1.ServiceAccountRootCAKey: []byte(ca),
			corev1.ServiceAccountNamespaceKey: []byte("ns")},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func TestPlan(t *testing.T) {
	robot := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "robot", UID: "uid-1"}}
	tests := []struct {
		name   string
		secret *corev1.Secret
		sa     *corev1.ServiceAccount
		rootCA string
		want   Action
	}{
		{"complete", secret(nil), robot, ca, Keep},
		{"new secret", secret(func(s *corev1.Secret) { s.Data = nil; delete(s.Annotations, corev1.ServiceAccountUIDKey) }), robot, ca, Complete},
		{"missing token", secret(func(s *corev1.Secret) { delete(s.Data, corev1.ServiceAccountTokenKey) }), robot, ca, Complete},
		{"missing namespace", secret(func(s *corev1.Secret) { delete(s.Data, corev1.ServiceAccountNamespaceKey) }), robot, ca, Complete},
		{"stale CA", secret(func(s *corev1.Secret) { s.Data[corev1.ServiceAccountRootCAKey] = []byte("old") }), robot, ca, Complete},
		{"CA not managed", secret(func(s *corev1.Secret) { delete(s.Data, corev1.ServiceAccountRootCAKey) }), robot, "", Keep},
		{"account gone", secret(nil), nil, ca, Delete},
		{"other type", secret(func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }), nil, ca, Keep},
		{"no account annotation", secret(func(s *corev1.Secret) { delete(s.Annotations, corev1.ServiceAccountNameKey) }), nil, ca, Keep},
		{"being deleted", secret(func(s *corev1.Secret) { s.DeletionTimestamp = &metav1.Time{} }), nil, ca, Keep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plan(tt.secret, tt.sa, []byte(tt.rootCA)); got != tt.want {
				t.Fatalf("Plan = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFill(t *testing.T) {
	robot := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "robot", UID: "uid-2"}}
	signed := func() (string, error) { return "signed", nil }
	tests := []struct {
		name      string
		secret    *corev1.Secret
		token     func() (string, error)
		wantToken string
		wantErr   bool
	}{
		{"empty secret", secret(func(s *corev1.Secret) { s.Data = nil }), signed, "signed", false},
		{"user token kept", secret(func(s *corev1.Secret) { s.Data[corev1.ServiceAccountRootCAKey] = nil }), signed, "jwt", false},
		{"signing fails", secret(func(s *corev1.Secret) { s.Data = nil }), func() (string, error) { return "", errors.New("no key") }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.secret.DeepCopy()
			got, err := Fill(tt.secret, robot, []byte(ca), tt.token)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if !maps.EqualFunc(tt.secret.Data, before.Data, func(a, b []byte) bool { return string(a) == string(b) }) ||
				!maps.Equal(tt.secret.Annotations, before.Annotations) {
				t.Error("Fill mutated its input (a lister's object)")
			}
			if err != nil {
				return
			}
			d := got.Data
			if string(d[corev1.ServiceAccountTokenKey]) != tt.wantToken || string(d[corev1.ServiceAccountRootCAKey]) != ca ||
				string(d[corev1.ServiceAccountNamespaceKey]) != "ns" || got.Annotations[corev1.ServiceAccountUIDKey] != "uid-2" ||
				got.Annotations[corev1.ServiceAccountNameKey] != "robot" {
				t.Errorf("filled %+v", got)
			}
			if Plan(got, robot, []byte(ca)) != Keep {
				t.Error("a filled secret still needs work")
			}
		})
	}
}
