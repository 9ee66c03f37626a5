package apiserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestBootstrapTokenAuthentication(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	admin := srv.Clientset(t, false)
	ctx := context.Background()
	secret := func(id string, data map[string]string) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id, Namespace: "kube-system"},
			Type: corev1.SecretTypeBootstrapToken, StringData: data}
		if _, err := admin.CoreV1().Secrets("kube-system").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	secret("abcdef", map[string]string{"token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true",
		"auth-extra-groups": "system:bootstrappers:capstan:default-node-token,system:masters", "expiration": time.Now().Add(time.Hour).Format(time.RFC3339)})
	secret("expird", map[string]string{"token-id": "expird", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true",
		"expiration": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	secret("nouse0", map[string]string{"token-id": "nouse0", "token-secret": "0123456789abcdef"})

	// No injected user: the real authentication chain runs.
	plain := httptest.NewServer(srv.API.Handler())
	t.Cleanup(plain.Close)
	whoami := func(token string) (*authenticationv1.SelfSubjectReview, error) {
		cs, err := kubernetes.NewForConfig(&rest.Config{Host: plain.URL, BearerToken: token})
		if err != nil {
			t.Fatal(err)
		}
		return cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	}
	r, err := whoami("abcdef.0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	u := r.Status.UserInfo
	wantGroups := []string{"system:bootstrappers", "system:bootstrappers:capstan:default-node-token", "system:authenticated"}
	if u.Username != "system:bootstrap:abcdef" || !slices.Equal(u.Groups, wantGroups) {
		t.Errorf("user %q groups %v, want system:bootstrap:abcdef %v (forged system:masters dropped)", u.Username, u.Groups, wantGroups)
	}
	for _, bad := range []string{"abcdef.0123456789abcdee", "expird.0123456789abcdef", "nouse0.0123456789abcdef", "zzzzzz.0123456789abcdef", "garbage"} {
		if _, err := whoami(bad); !apierrors.IsUnauthorized(err) {
			t.Errorf("token %q: %v, want 401", bad, err)
		}
	}
	// cluster-info is readable without credentials; other objects are not.
	for path, want := range map[string]int{
		"/api/v1/namespaces/kube-public/configmaps/cluster-info": http.StatusNotFound,
		"/api/v1/namespaces/kube-public/configmaps/other":        http.StatusUnauthorized,
	} {
		resp, err := http.Get(plain.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("anonymous GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
