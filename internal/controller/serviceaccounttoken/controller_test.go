package serviceaccounttoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
)

// cluster is an API server authenticating ServiceAccount tokens, with the
// controller running against it.
type cluster struct {
	cs kubernetes.Interface
	// authURL serves the API with real authentication (no injected admin).
	authURL string
}

func startCluster(t *testing.T) cluster {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, key, nil, "https://127.0.0.1:6443/openid/v1/jwks")
	if err != nil {
		t.Fatal(err)
	}
	labeler := &lateLabeler{}
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		objects, err := apiserver.NewStoreLookup(c.Store)
		if err != nil {
			t.Fatal(err)
		}
		c.ServiceAccountIssuer = issuer
		a := serviceaccount.NewAuthenticator(issuer, objects, nil, nil).RecordLastUsed(labeler)
		c.TokenAuthenticators = []apiserver.TokenAuthenticator{a}
	})
	authed := httptest.NewServer(srv.API.Handler())
	t.Cleanup(authed.Close)
	cs := srv.Clientset(t, false)
	labeler.l.Store(&serviceaccount.SecretLabeler{Client: cs})
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Client: cs, ServiceAccounts: f.Core().V1().ServiceAccounts(), Secrets: f.Core().V1().Secrets(),
		Tokens: issuer, RootCA: []byte(ca)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() { cancel(); <-done; f.Shutdown() })
	f.Start(ctx.Done())
	go func() { done <- c.Run(ctx, 2) }()
	return cluster{cs: cs, authURL: authed.URL}
}

// lateLabeler is a SecretLabeler whose client exists only once the
// server it is part of has started.
type lateLabeler struct {
	l atomic.Pointer[serviceaccount.SecretLabeler]
}

func (l *lateLabeler) RecordLegacyTokenUse(ctx context.Context, namespace, secret, day string) error {
	return l.l.Load().RecordLegacyTokenUse(ctx, namespace, secret, day)
}

func (c cluster) waitSecret(t *testing.T, name string, cond func(s *corev1.Secret, err error) bool) *corev1.Secret {
	t.Helper()
	var last *corev1.Secret
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := c.cs.CoreV1().Secrets("default").Get(ctx, name, metav1.GetOptions{})
		last = s
		return cond(s, err), nil
	})
	if err != nil {
		t.Fatalf("secret %s: condition not met: %+v", name, last)
	}
	return last
}

func (c cluster) review(t *testing.T, token string) authenticationv1.TokenReviewStatus {
	t.Helper()
	r, err := c.cs.AuthenticationV1().TokenReviews().Create(context.Background(),
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// get reads the ConfigMaps of default with token as the only credential.
func (c cluster) get(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.authURL+"/api/v1/namespaces/default/configmaps", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func tokenSecret(name, account string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{corev1.ServiceAccountNameKey: account}},
		Type: corev1.SecretTypeServiceAccountToken}
}

func filled(s *corev1.Secret, err error) bool {
	return err == nil && len(s.Data[corev1.ServiceAccountTokenKey]) > 0
}

func gone(_ *corev1.Secret, err error) bool { return apierrors.IsNotFound(err) }

func TestLegacyTokenLifecycle(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	sa, err := c.cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.cs.CoreV1().Secrets("default").Create(ctx, tokenSecret("robot-token", "robot"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := c.waitSecret(t, "robot-token", filled)
	tok := string(s.Data[corev1.ServiceAccountTokenKey])
	if string(s.Data[corev1.ServiceAccountRootCAKey]) != ca || string(s.Data[corev1.ServiceAccountNamespaceKey]) != "default" ||
		s.Annotations[corev1.ServiceAccountUIDKey] != string(sa.UID) {
		t.Fatalf("filled secret %+v", s)
	}
	st := c.review(t, tok)
	if !st.Authenticated || st.User.Username != "system:serviceaccount:default:robot" || st.User.UID != string(sa.UID) {
		t.Fatalf("review of the legacy token: %+v", st)
	}
	if code := c.get(t, tok); code != http.StatusOK {
		t.Fatalf("request with the legacy token: %d", code)
	}
	used := c.waitSecret(t, "robot-token", func(s *corev1.Secret, err error) bool {
		return err == nil && s.Labels[serviceaccount.LastUsedLabel] != ""
	})
	now := time.Now().UTC()
	if day := used.Labels[serviceaccount.LastUsedLabel]; day != now.Format("2006-01-02") && day != now.Add(-time.Minute).Format("2006-01-02") {
		t.Fatalf("last-used label %q", day)
	}

	// No token Secret is created for an account on its own (upstream
	// since 1.24): only the one the user made exists.
	list, err := c.cs.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("secrets %d (%v), want only robot-token", len(list.Items), err)
	}

	// A token Secret for an account that does not exist is deleted.
	if _, err := c.cs.CoreV1().Secrets("default").Create(ctx, tokenSecret("ghost-token", "ghost"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitSecret(t, "ghost-token", gone)

	// Deleting the Secret revokes its token.
	if err := c.cs.CoreV1().Secrets("default").Delete(ctx, "robot-token", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if st := c.review(t, tok); st.Authenticated {
		t.Fatalf("token of a deleted secret still authenticates: %+v", st)
	}
	if code := c.get(t, tok); code != http.StatusUnauthorized {
		t.Fatalf("request with a revoked token: %d, want 401", code)
	}

	// Deleting the account deletes its token Secrets.
	if _, err := c.cs.CoreV1().Secrets("default").Create(ctx, tokenSecret("robot-token-2", "robot"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitSecret(t, "robot-token-2", filled)
	if err := c.cs.CoreV1().ServiceAccounts("default").Delete(ctx, "robot", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitSecret(t, "robot-token-2", gone)
}
