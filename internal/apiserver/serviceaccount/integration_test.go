package serviceaccount_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
)

type env struct {
	srv    *apiservertest.Server
	cs     kubernetes.Interface
	issuer *serviceaccount.Issuer
}

func start(t *testing.T) env {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, key, nil, "https://127.0.0.1:6443/openid/v1/jwks")
	if err != nil {
		t.Fatal(err)
	}
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		objects, err := apiserver.NewStoreLookup(c.Store)
		if err != nil {
			t.Fatal(err)
		}
		c.ServiceAccountIssuer = issuer
		c.TokenAuthenticators = []apiserver.TokenAuthenticator{serviceaccount.NewAuthenticator(issuer, objects, nil, nil)}
	})
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return env{srv: srv, cs: cs, issuer: issuer}
}

func (e env) token(t *testing.T, spec authenticationv1.TokenRequestSpec) (*authenticationv1.TokenRequest, error) {
	t.Helper()
	return e.cs.CoreV1().ServiceAccounts("default").CreateToken(context.Background(), "robot",
		&authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
}

func (e env) review(t *testing.T, token string, auds ...string) authenticationv1.TokenReviewStatus {
	t.Helper()
	r, err := e.cs.AuthenticationV1().TokenReviews().Create(context.Background(),
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: auds}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token review: %v", err)
	}
	return r.Status
}

func ptr[T any](v T) *T { return &v }

func TestTokenRequestAndReview(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	sa, err := e.cs.CoreV1().ServiceAccounts("default").Get(ctx, "robot", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	tr, err := e.token(t, authenticationv1.TokenRequestSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if d := tr.Status.ExpirationTimestamp.Sub(before); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("default token lives %v, want 1h", d)
	}
	if *tr.Spec.ExpirationSeconds != 3600 || !slices.Equal(tr.Spec.Audiences, []string{serviceaccount.DefaultIssuer}) {
		t.Errorf("defaulted spec %+v", tr.Spec)
	}
	st := e.review(t, tr.Status.Token)
	if !st.Authenticated || st.User.Username != "system:serviceaccount:default:robot" || st.User.UID != string(sa.UID) ||
		!slices.Equal(st.User.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}) {
		t.Errorf("review %+v", st)
	}
	if st := e.review(t, tr.Status.Token, "vault"); st.Authenticated {
		t.Error("token for the API audience accepted for audience vault")
	}
	vault, err := e.token(t, authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}, ExpirationSeconds: ptr[int64](600)})
	if err != nil {
		t.Fatal(err)
	}
	if st := e.review(t, vault.Status.Token); st.Authenticated {
		t.Error("vault token accepted by the API audience")
	}
	if st := e.review(t, vault.Status.Token, "vault"); !st.Authenticated || !slices.Equal(st.Audiences, []string{"vault"}) {
		t.Errorf("vault review %+v", st)
	}
	if st := e.review(t, "garbage.not.jwt"); st.Authenticated {
		t.Error("garbage authenticated")
	}
	// Deleting and recreating the account invalidates its tokens.
	if err := e.cs.CoreV1().ServiceAccounts("default").Delete(ctx, "robot", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if st := e.review(t, tr.Status.Token); st.Authenticated {
		t.Error("token of a deleted and recreated account still authenticates")
	}
}

func TestTokenRequestErrors(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	pod := func(name, sa string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{ServiceAccountName: sa,
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		p, err := e.cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mine, other := pod("mine", "robot"), pod("other", "default")
	podRef := func(p *corev1.Pod, uid types.UID) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: uid}
	}
	tests := []struct {
		name    string
		sa      string
		spec    authenticationv1.TokenRequestSpec
		check   func(error) bool
		message string
	}{
		{"too short", "robot", authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr[int64](300)}, apierrors.IsInvalid,
			`TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes`},
		{"too long", "robot", authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr[int64](1<<32 + 1)}, apierrors.IsInvalid,
			"may not specify a duration larger than 2^32 seconds"},
		{"missing account", "ghost", authenticationv1.TokenRequestSpec{}, apierrors.IsNotFound, `serviceaccounts "ghost" not found`},
		{"missing pod", "robot", authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "nope"}},
			apierrors.IsNotFound, `pods "nope" not found`},
		{"pod UID mismatch", "robot", authenticationv1.TokenRequestSpec{BoundObjectRef: podRef(mine, "not-the-uid")}, apierrors.IsConflict,
			"the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated"},
		{"pod of another account", "robot", authenticationv1.TokenRequestSpec{BoundObjectRef: podRef(other, other.UID)}, apierrors.IsBadRequest,
			`cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.`},
		{"unsupported kind", "robot", authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Deployment", APIVersion: "apps/v1", Name: "d"}},
			apierrors.IsBadRequest, "cannot bind token to object of type apps/v1, Kind=Deployment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, tt.sa, &authenticationv1.TokenRequest{Spec: tt.spec}, metav1.CreateOptions{})
			if err == nil || !tt.check(err) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want one containing %q", err, tt.message)
			}
		})
	}
}

func TestPodBoundToken(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	p, err := e.cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{ServiceAccountName: "robot", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p", UID: p.UID}
	before := time.Now()
	extended, err := e.token(t, authenticationv1.TokenRequestSpec{BoundObjectRef: ref, ExpirationSeconds: ptr[int64](3607)})
	if err != nil {
		t.Fatal(err)
	}
	if d := extended.Status.ExpirationTimestamp.Sub(before); d < 3600*time.Second || d > 3620*time.Second {
		t.Errorf("3607 s pod-bound token's status says it lives %v, want the 3607 s asked for", d)
	}
	var claims jwt.Claims
	if tok, err := jwt.ParseSigned(extended.Status.Token, []jose.SignatureAlgorithm{jose.ES256}); err != nil {
		t.Fatal(err)
	} else if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	if d := claims.Expiry.Time().Sub(before); d < 364*24*time.Hour {
		t.Errorf("3607 s pod-bound token expires after %v, want it extended to a year", d)
	}
	tr, err := e.token(t, authenticationv1.TokenRequestSpec{BoundObjectRef: ref})
	if err != nil {
		t.Fatal(err)
	}
	st := e.review(t, tr.Status.Token)
	if !st.Authenticated || !slices.Equal(st.User.Extra["authentication.kubernetes.io/pod-name"], []string{"p"}) ||
		!slices.Equal(st.User.Extra["authentication.kubernetes.io/pod-uid"], []string{string(p.UID)}) {
		t.Fatalf("review %+v", st)
	}
	// The token works as a bearer token on the real handler chain …
	h := httptest.NewServer(e.srv.API.Handler())
	defer h.Close()
	get := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, h.URL+"/api/v1/namespaces/default/pods", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(tr.Status.Token); code != http.StatusOK {
		t.Errorf("bearer token: %d, want 200", code)
	}
	for _, bad := range []string{"a.b.c", "x", tr.Status.Token + "x", strings.Repeat("e", 4000)} {
		if code := get(bad); code != http.StatusUnauthorized {
			t.Errorf("malformed token %.20q: %d, want 401", bad, code)
		}
	}
	// … until its pod is gone.
	if err := e.cs.CoreV1().Pods("default").Delete(ctx, "p", metav1.DeleteOptions{GracePeriodSeconds: ptr[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if st := e.review(t, tr.Status.Token); st.Authenticated {
		t.Error("token of a deleted pod still authenticates")
	}
	if code := get(tr.Status.Token); code != http.StatusUnauthorized {
		t.Errorf("bearer token of a deleted pod: %d, want 401", code)
	}
}

// A node may only get tokens bound to its own pods: the TokenRequest goes
// through admission (NodeRestriction).
func TestTokenRequestAdmission(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, key, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		c.ServiceAccountIssuer, c.AdmissionPlugins = issuer, []string{"NodeRestriction"}
	})
	ctx := context.Background()
	cs := srv.Clientset(t, false)
	pods := map[string]*corev1.Pod{}
	for name, node := range map[string]string{"mine": "n1", "theirs": "n2"} {
		p, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{ServiceAccountName: "default", NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods[name] = p
	}
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	node := apiserver.User{Name: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}}
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.API.Handler().ServeHTTP(w, r.WithContext(apiserver.WithUser(r.Context(), node)))
	}))
	defer h.Close()
	asNode := kubernetes.NewForConfigOrDie(&rest.Config{Host: h.URL})
	request := func(p *corev1.Pod) error {
		_, err := asNode.CoreV1().ServiceAccounts("default").CreateToken(ctx, "default", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID}}}, metav1.CreateOptions{})
		return err
	}
	if err := request(pods["mine"]); err != nil {
		t.Errorf("token for the node's own pod: %v", err)
	}
	if err := request(pods["theirs"]); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "different node") {
		t.Errorf("token for another node's pod: %v, want 403", err)
	}
}

func TestIssuerDiscovery(t *testing.T) {
	e := start(t)
	fetch := func(path string) (string, []byte) {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return resp.Header.Get("Content-Type"), body
	}
	ct, body := fetch("/.well-known/openid-configuration")
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || ct != "application/json" || doc.Issuer != serviceaccount.DefaultIssuer ||
		doc.JWKSURI != "https://127.0.0.1:6443/openid/v1/jwks" {
		t.Fatalf("discovery %s %s (%v)", ct, body, err)
	}
	ct, body = fetch("/openid/v1/jwks")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil || ct != "application/jwk-set+json" || len(set.Keys) != 1 {
		t.Fatalf("jwks %s %s (%v)", ct, body, err)
	}
	// A relying party verifies a token with the published key alone.
	tr, err := e.token(t, authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(tr.Status.Token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.Claims
	if err := tok.Claims(set.Keys[0].Key, &claims); err != nil {
		t.Fatalf("token does not verify with the published key: %v", err)
	}
	if tok.Headers[0].KeyID != set.Keys[0].KeyID || claims.Subject != "system:serviceaccount:default:robot" ||
		claims.Validate(jwt.Expected{Issuer: doc.Issuer, AnyAudience: jwt.Audience{"vault"}, Time: time.Now()}) != nil {
		t.Errorf("claims %+v kid %s", claims, tok.Headers[0].KeyID)
	}
}

func TestDiscoveryListsTokenResources(t *testing.T) {
	e := start(t)
	core, err := e.cs.Discovery().ServerResourcesForGroupVersion("v1")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(core.APIResources, func(r metav1.APIResource) bool { return r.Name == "serviceaccounts/token" })
	if i < 0 || core.APIResources[i].Kind != "TokenRequest" || core.APIResources[i].Group != "authentication.k8s.io" ||
		!slices.Equal(core.APIResources[i].Verbs, []string{"create"}) {
		t.Errorf("serviceaccounts/token in discovery: %+v", core.APIResources)
	}
	authn, err := e.cs.Discovery().ServerResourcesForGroupVersion("authentication.k8s.io/v1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(authn.APIResources, func(r metav1.APIResource) bool { return r.Name == "tokenreviews" }) {
		t.Errorf("tokenreviews missing from %+v", authn.APIResources)
	}
}

// BenchmarkAuthenticateThroughStore measures one pod-bound bearer token
// check as the server does it: ES256 verification plus the account and pod
// reads from etcd.
func BenchmarkAuthenticateThroughStore(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, key, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	srv := apiservertest.Start(b, func(c *apiserver.Config) { c.ServiceAccountIssuer = issuer })
	objects, err := apiserver.NewStoreLookup(srv.Store)
	if err != nil {
		b.Fatal(err)
	}
	cs := srv.Clientset(b, true)
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	p, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{ServiceAccountName: "robot", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p", UID: p.UID}}}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	a := serviceaccount.NewAuthenticator(issuer, objects, nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := a.AuthenticateToken(ctx, tr.Status.Token); !ok || err != nil {
			b.Fatalf("ok=%v err=%v", ok, err)
		}
	}
}
