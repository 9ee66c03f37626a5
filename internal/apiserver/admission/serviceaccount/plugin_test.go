package serviceaccount

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func TestAdmit(t *testing.T) {
	sa := func(name string, secrets ...string) *corev1.ServiceAccount {
		s := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
		for _, n := range secrets {
			s.ImagePullSecrets = append(s.ImagePullSecrets, corev1.LocalObjectReference{Name: n})
		}
		return s
	}
	tests := []struct {
		name        string
		accounts    []*corev1.ServiceAccount
		pod         corev1.Pod
		wantSA      string
		wantSecrets []string
		wantErr     string
	}{
		{"defaults to default", []*corev1.ServiceAccount{sa("default")}, corev1.Pod{}, "default", nil, ""},
		{"copies pull secrets", []*corev1.ServiceAccount{sa("builder", "reg1", "reg2")},
			corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: "builder"}}, "builder", []string{"reg1", "reg2"}, ""},
		{"keeps own pull secrets", []*corev1.ServiceAccount{sa("default", "reg1")},
			corev1.Pod{Spec: corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "mine"}}}}, "default", []string{"mine"}, ""},
		{"missing named account", nil, corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: "ghost"}}, "", nil,
			`pods "p" is forbidden: error looking up service account ns/ghost: serviceaccount "ghost" not found`},
		{"mirror pod needs no account", nil, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{mirrorAnnotation: "x"}}}, "", nil, ""},
		{"mirror pod may not name one", nil, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{mirrorAnnotation: "x"}},
			Spec: corev1.PodSpec{ServiceAccountName: "default"}}, "", nil, `pods "p" is forbidden: a mirror pod may not reference service accounts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := admissiontest.NewLookup()
			for _, a := range tt.accounts {
				lookup.Add(serviceAccounts(), a)
			}
			pod := tt.pod.DeepCopy()
			pod.Name, pod.Namespace = "p", "ns"
			err := (&Plugin{Lookup: lookup}).Admit(context.Background(), admissiontest.PodCreate(pod))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !apierrors.IsForbidden(err) {
					t.Fatalf("err = %v, want 403 %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var secrets []string
			for _, s := range pod.Spec.ImagePullSecrets {
				secrets = append(secrets, s.Name)
			}
			if pod.Spec.DeprecatedServiceAccount != pod.Spec.ServiceAccountName {
				t.Errorf("deprecated serviceAccount %q, want %q", pod.Spec.DeprecatedServiceAccount, pod.Spec.ServiceAccountName)
			}
			if pod.Spec.ServiceAccountName != tt.wantSA || len(secrets) != len(tt.wantSecrets) {
				t.Fatalf("sa %q secrets %v, want %q %v", pod.Spec.ServiceAccountName, secrets, tt.wantSA, tt.wantSecrets)
			}
			for i := range secrets {
				if secrets[i] != tt.wantSecrets[i] {
					t.Errorf("secrets %v, want %v", secrets, tt.wantSecrets)
				}
			}
		})
	}
}

// The default account is retried on the clock before the pod is refused.
func TestDefaultAccountRetries(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	lookup := admissiontest.NewLookup()
	done := make(chan error, 1)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	go func() {
		done <- (&Plugin{Lookup: lookup, Clock: clk}).Admit(context.Background(), admissiontest.PodCreate(pod))
	}()
	for i := 0; i < defaultAttempts-1; i++ {
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		clk.Step(200 * time.Millisecond)
	}
	err := <-done
	if !apierrors.IsForbidden(err) || lookup.Gets != defaultAttempts {
		t.Fatalf("err %v after %d lookups, want 403 after %d", err, lookup.Gets, defaultAttempts)
	}
}
