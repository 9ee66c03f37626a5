package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver"
)

// objects is an in-memory Getter keyed by "resource/namespace/name".
type objects struct {
	m     map[string]runtime.Object
	fault error
}

func (o *objects) Get(_ context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error) {
	if o.fault != nil {
		return nil, o.fault
	}
	obj, ok := o.m[gvr.Resource+"/"+namespace+"/"+name]
	if !ok {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	return obj, nil
}

func (o *objects) put(resource, namespace, name, uid string, deleted *time.Time) {
	meta := metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid)}
	if deleted != nil {
		t := metav1.NewTime(*deleted)
		meta.DeletionTimestamp = &t
	}
	var obj runtime.Object
	switch resource {
	case "serviceaccounts":
		obj = &corev1.ServiceAccount{ObjectMeta: meta}
	case "pods":
		obj = &corev1.Pod{ObjectMeta: meta}
	case "secrets":
		obj = &corev1.Secret{ObjectMeta: meta}
	case "nodes":
		obj = &corev1.Node{ObjectMeta: meta}
	}
	o.m[resource+"/"+namespace+"/"+name] = obj
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newIssuer(t testing.TB, name string, key *ecdsa.PrivateKey) *Issuer {
	t.Helper()
	i, err := NewIssuer(name, key, nil, "https://10.0.0.1:6443/openid/v1/jwks")
	if err != nil {
		t.Fatal(err)
	}
	return i
}

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// podToken is a one-hour token of ns/sa bound to pod p on node n.
func podToken(t0 time.Time) apiserver.ServiceAccountToken {
	return apiserver.ServiceAccountToken{Namespace: "ns", Name: "sa", UID: "sa-uid", Audiences: []string{DefaultIssuer},
		IssuedAt: t0, Expires: t0.Add(time.Hour), Pod: &apiserver.BoundObject{Name: "p", UID: "pod-uid"},
		Node: &apiserver.BoundObject{Name: "n", UID: "node-uid"}}
}

func TestAuthenticateToken(t *testing.T) {
	key := newKey(t)
	iss := newIssuer(t, DefaultIssuer, key)
	forged := newIssuer(t, DefaultIssuer, newKey(t))
	other := newIssuer(t, "https://other.example", key)
	sign := func(i *Issuer, tok apiserver.ServiceAccountToken) string {
		s, err := i.IssueToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(iss, podToken(t0))
	secretBound := podToken(t0)
	secretBound.Pod, secretBound.Node, secretBound.Secret = nil, nil, &apiserver.BoundObject{Name: "s", UID: "secret-uid"}
	nodeBound := podToken(t0)
	nodeBound.Pod = nil
	wrongAud := podToken(t0)
	wrongAud.Audiences = []string{"vault"}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+DefaultIssuer+`","sub":"system:serviceaccount:ns:admin"}`)) + "." + parts[2]
	deletedLongAgo, deletingNow := t0.Add(-2*time.Minute), t0.Add(-10*time.Second)

	tests := []struct {
		name    string
		token   string
		now     time.Time
		auds    []string // TokenReview audiences
		mutate  func(o *objects)
		wantOK  bool
		wantErr bool
	}{
		{name: "valid pod-bound token", token: good, now: t0.Add(time.Minute), wantOK: true},
		{name: "valid within expiry leeway", token: good, now: t0.Add(time.Hour + 30*time.Second), wantOK: true},
		{name: "expired", token: good, now: t0.Add(time.Hour + 2*time.Minute)},
		{name: "not valid yet", token: good, now: t0.Add(-5 * time.Minute)},
		{name: "wrong audience", token: sign(iss, wrongAud), now: t0},
		{name: "review audience matches", token: sign(iss, wrongAud), now: t0, auds: []string{"vault", "x"}, wantOK: true},
		{name: "review audience differs", token: good, now: t0, auds: []string{"vault"}},
		{name: "wrong signature", token: sign(forged, podToken(t0)), now: t0},
		{name: "tampered payload", token: tampered, now: t0},
		{name: "other issuer is not ours", token: sign(other, podToken(t0)), now: t0},
		{name: "malformed", token: "a.b.c", now: t0},
		{name: "not a JWT", token: "abcdef.0123456789abcdef", now: t0},
		{name: "deleted service account", token: good, now: t0, mutate: func(o *objects) { delete(o.m, "serviceaccounts/ns/sa") }},
		{name: "recreated service account", token: good, now: t0, mutate: func(o *objects) { o.put("serviceaccounts", "ns", "sa", "new-uid", nil) }},
		{name: "deleted bound pod", token: good, now: t0, mutate: func(o *objects) { delete(o.m, "pods/ns/p") }},
		{name: "recreated bound pod", token: good, now: t0, mutate: func(o *objects) { o.put("pods", "ns", "p", "other", nil) }},
		{name: "pod terminating past leeway", token: good, now: t0, mutate: func(o *objects) { o.put("pods", "ns", "p", "pod-uid", &deletedLongAgo) }},
		{name: "pod terminating within leeway", token: good, now: t0, wantOK: true, mutate: func(o *objects) { o.put("pods", "ns", "p", "pod-uid", &deletingNow) }},
		{name: "pod-bound token ignores node", token: good, now: t0, wantOK: true, mutate: func(o *objects) { delete(o.m, "nodes//n") }},
		{name: "secret-bound valid", token: sign(iss, secretBound), now: t0, wantOK: true},
		{name: "deleted bound secret", token: sign(iss, secretBound), now: t0, mutate: func(o *objects) { delete(o.m, "secrets/ns/s") }},
		{name: "node-bound valid", token: sign(iss, nodeBound), now: t0, wantOK: true},
		{name: "deleted bound node", token: sign(iss, nodeBound), now: t0, mutate: func(o *objects) { delete(o.m, "nodes//n") }},
		{name: "store fault is an error", token: good, now: t0, wantErr: true, mutate: func(o *objects) { o.fault = errors.New("etcd down") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &objects{m: map[string]runtime.Object{}}
			o.put("serviceaccounts", "ns", "sa", "sa-uid", nil)
			o.put("pods", "ns", "p", "pod-uid", nil)
			o.put("secrets", "ns", "s", "secret-uid", nil)
			o.put("nodes", "", "n", "node-uid", nil)
			if tt.mutate != nil {
				tt.mutate(o)
			}
			a := NewAuthenticator(iss, o, clocktesting.NewFakePassiveClock(tt.now), nil)
			ctx := context.Background()
			if tt.auds != nil {
				ctx = apiserver.WithAudiences(ctx, tt.auds)
			}
			u, ok, err := a.AuthenticateToken(ctx, tt.token)
			if (err != nil) != tt.wantErr || ok != tt.wantOK {
				t.Fatalf("got ok=%v err=%v, want ok=%v err=%v", ok, err, tt.wantOK, tt.wantErr)
			}
			if ok && (u.Name != "system:serviceaccount:ns:sa" || u.UID != "sa-uid") {
				t.Errorf("user %+v", u)
			}
		})
	}
}

func TestUserOfPodBoundToken(t *testing.T) {
	iss := newIssuer(t, DefaultIssuer, newKey(t))
	tok, err := iss.IssueToken(podToken(t0))
	if err != nil {
		t.Fatal(err)
	}
	o := &objects{m: map[string]runtime.Object{}}
	o.put("serviceaccounts", "ns", "sa", "sa-uid", nil)
	o.put("pods", "ns", "p", "pod-uid", nil)
	u, err := NewAuthenticator(iss, o, clocktesting.NewFakePassiveClock(t0), nil).Validate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	jti := u.Extra[extraCredentialID]
	if len(jti) != 1 || !strings.HasPrefix(jti[0], "JTI=") || len(jti[0]) != len("JTI=")+36 {
		t.Errorf("credential-id %q, want JTI=<uuid>", jti)
	}
	delete(u.Extra, extraCredentialID)
	want := apiserver.User{Name: "system:serviceaccount:ns:sa", UID: "sa-uid",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"},
		Extra: map[string][]string{
			"authentication.kubernetes.io/pod-name": {"p"}, "authentication.kubernetes.io/pod-uid": {"pod-uid"},
			"authentication.kubernetes.io/node-name": {"n"}, "authentication.kubernetes.io/node-uid": {"node-uid"},
		}}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("user\n got %+v\nwant %+v", u, want)
	}
}

// payload decodes a JWT's claims.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssuedClaims(t *testing.T) {
	iss := newIssuer(t, DefaultIssuer, newKey(t))
	warn := podToken(t0)
	warn.WarnAfter, warn.Expires = t0.Add(3607*time.Second), t0.Add(365*24*time.Hour)
	secret := podToken(t0)
	secret.Pod, secret.Node, secret.Secret = nil, nil, &apiserver.BoundObject{Name: "s", UID: "secret-uid"}
	unbound := podToken(t0)
	unbound.Pod, unbound.Node, unbound.Audiences = nil, nil, []string{"a", "b"}
	iat := float64(t0.Unix())
	tests := []struct {
		name string
		tok  apiserver.ServiceAccountToken
		want map[string]any // claims other than jti
	}{
		{"pod-bound", podToken(t0), map[string]any{
			"iss": DefaultIssuer, "sub": "system:serviceaccount:ns:sa", "aud": []any{DefaultIssuer},
			"iat": iat, "nbf": iat, "exp": iat + 3600,
			"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "sa-uid"},
				"pod": map[string]any{"name": "p", "uid": "pod-uid"}, "node": map[string]any{"name": "n", "uid": "node-uid"}}}},
		{"extended with warnafter", warn, map[string]any{
			"iss": DefaultIssuer, "sub": "system:serviceaccount:ns:sa", "aud": []any{DefaultIssuer},
			"iat": iat, "nbf": iat, "exp": iat + 365*24*3600,
			"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "sa-uid"},
				"pod": map[string]any{"name": "p", "uid": "pod-uid"}, "node": map[string]any{"name": "n", "uid": "node-uid"},
				"warnafter": iat + 3607}}},
		{"secret-bound", secret, map[string]any{
			"iss": DefaultIssuer, "sub": "system:serviceaccount:ns:sa", "aud": []any{DefaultIssuer},
			"iat": iat, "nbf": iat, "exp": iat + 3600,
			"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "sa-uid"},
				"secret": map[string]any{"name": "s", "uid": "secret-uid"}}}},
		{"unbound, two audiences", unbound, map[string]any{
			"iss": DefaultIssuer, "sub": "system:serviceaccount:ns:sa", "aud": []any{"a", "b"},
			"iat": iat, "nbf": iat, "exp": iat + 3600,
			"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "sa-uid"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := iss.IssueToken(tt.tok)
			if err != nil {
				t.Fatal(err)
			}
			got := payload(t, tok)
			if jti, _ := got["jti"].(string); len(jti) != 36 {
				t.Errorf("jti %v, want a UUID", got["jti"])
			}
			delete(got, "jti")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("claims\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestDiscoveryDocuments(t *testing.T) {
	iss := newIssuer(t, DefaultIssuer, newKey(t))
	var doc map[string]any
	if err := json.Unmarshal(iss.OpenIDConfiguration(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"issuer": DefaultIssuer, "jwks_uri": "https://10.0.0.1:6443/openid/v1/jwks",
		"response_types_supported": []any{"id_token"}, "subject_types_supported": []any{"public"},
		"id_token_signing_alg_values_supported": []any{"ES256"}}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("discovery\n got %v\nwant %v", doc, want)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys", len(set.Keys))
	}
	k := set.Keys[0]
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] != iss.kid || k["d"] != nil {
		t.Errorf("key %v", k)
	}
	tok, err := iss.IssueToken(podToken(t0))
	if err != nil {
		t.Fatal(err)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	if h["alg"] != "ES256" || h["kid"] != iss.kid {
		t.Errorf("header %v, want alg ES256 kid %s", h, iss.kid)
	}
}
