package serviceaccount

import (
	"context"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver"
)

// uses is a LastUsedRecorder remembering its calls.
type uses struct{ calls []string }

func (u *uses) RecordLegacyTokenUse(_ context.Context, namespace, secret, day string) error {
	u.calls = append(u.calls, namespace+"/"+secret+"@"+day)
	return nil
}

// tokenSecret is Secret ns/s holding tok for account ns/sa.
func tokenSecret(tok string, labels map[string]string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: "secret-uid", Labels: labels,
			Annotations: map[string]string{corev1.ServiceAccountNameKey: "sa", corev1.ServiceAccountUIDKey: "sa-uid"}},
		Type: corev1.SecretTypeServiceAccountToken,
		Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte(tok)},
	}
}

func TestLegacyToken(t *testing.T) {
	key := newKey(t)
	iss := newIssuer(t, DefaultIssuer, key)
	forged := newIssuer(t, DefaultIssuer, newKey(t))
	legacy := func(i *Issuer, account, uid, secret string) string {
		s, err := i.LegacyToken("ns", account, uid, secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := legacy(iss, "sa", "sa-uid", "s")
	today := t0.Format("2006-01-02")
	tests := []struct {
		name     string
		token    string
		auds     []string
		mutate   func(o *objects)
		wantOK   bool
		wantErr  bool
		wantUses int
	}{
		{name: "valid", token: good, wantOK: true, wantUses: 1},
		{name: "used today already", token: good, wantOK: true, mutate: func(o *objects) {
			o.m["secrets/ns/s"] = tokenSecret(good, map[string]string{LastUsedLabel: today})
		}},
		{name: "used yesterday", token: good, wantOK: true, wantUses: 1, mutate: func(o *objects) {
			o.m["secrets/ns/s"] = tokenSecret(good, map[string]string{LastUsedLabel: t0.AddDate(0, 0, -1).Format("2006-01-02")})
		}},
		{name: "API audience in review", token: good, auds: []string{"x", DefaultIssuer}, wantOK: true, wantUses: 1},
		{name: "other audience in review", token: good, auds: []string{"vault"}},
		{name: "secret deleted", token: good, mutate: func(o *objects) { delete(o.m, "secrets/ns/s") }},
		{name: "secret terminating", token: good, mutate: func(o *objects) {
			s := tokenSecret(good, nil)
			s.DeletionTimestamp = &metav1.Time{Time: t0}
			o.m["secrets/ns/s"] = s
		}},
		{name: "secret holds another token", token: good, mutate: func(o *objects) { o.m["secrets/ns/s"] = tokenSecret("other", nil) }},
		{name: "secret names another account", token: good, mutate: func(o *objects) {
			s := tokenSecret(good, nil)
			s.Annotations[corev1.ServiceAccountNameKey] = "admin"
			o.m["secrets/ns/s"] = s
		}},
		{name: "secret invalidated", token: good, mutate: func(o *objects) {
			o.m["secrets/ns/s"] = tokenSecret(good, map[string]string{InvalidSinceLabel: today})
		}},
		{name: "account deleted", token: good, mutate: func(o *objects) { delete(o.m, "serviceaccounts/ns/sa") }},
		{name: "account recreated", token: good, mutate: func(o *objects) { o.put("serviceaccounts", "ns", "sa", "new-uid", nil) }},
		{name: "forged signature", token: legacy(forged, "sa", "sa-uid", "s"), mutate: func(o *objects) {
			o.m["secrets/ns/s"] = tokenSecret(legacy(forged, "sa", "sa-uid", "s"), nil)
		}},
		{name: "missing uid claim", token: legacy(iss, "sa", "", "s"), mutate: func(o *objects) {
			o.m["secrets/ns/s"] = tokenSecret(legacy(iss, "sa", "", "s"), nil)
		}},
		{name: "store fault", token: good, wantErr: true, mutate: func(o *objects) { o.fault = errors.New("etcd down") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &objects{m: map[string]runtime.Object{}}
			o.put("serviceaccounts", "ns", "sa", "sa-uid", nil)
			o.m["secrets/ns/s"] = tokenSecret(good, nil)
			if tt.mutate != nil {
				tt.mutate(o)
			}
			rec := &uses{}
			a := NewAuthenticator(iss, o, clocktesting.NewFakePassiveClock(t0), nil).RecordLastUsed(rec)
			ctx := context.Background()
			if tt.auds != nil {
				ctx = apiserver.WithAudiences(ctx, tt.auds)
			}
			u, ok, err := a.AuthenticateToken(ctx, tt.token)
			if (err != nil) != tt.wantErr || ok != tt.wantOK {
				t.Fatalf("got ok=%v err=%v, want ok=%v err=%v", ok, err, tt.wantOK, tt.wantErr)
			}
			want := apiserver.User{Name: "system:serviceaccount:ns:sa", UID: "sa-uid", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"}}
			if ok && !reflect.DeepEqual(u, want) {
				t.Errorf("user %+v, want %+v", u, want)
			}
			if len(rec.calls) != tt.wantUses || (tt.wantUses == 1 && rec.calls[0] != "ns/s@"+today) {
				t.Errorf("last-used calls %v, want %d for %s", rec.calls, tt.wantUses, today)
			}
		})
	}
}

func TestLegacyTokenClaims(t *testing.T) {
	iss := newIssuer(t, DefaultIssuer, newKey(t))
	tok, err := iss.LegacyToken("ns", "sa", "sa-uid", "s")
	if err != nil {
		t.Fatal(err)
	}
	got := payload(t, tok)
	want := map[string]any{
		"iss":                                    "kubernetes/serviceaccount",
		"sub":                                    "system:serviceaccount:ns:sa",
		"kubernetes.io/serviceaccount/namespace": "ns",
		"kubernetes.io/serviceaccount/secret.name":          "s",
		"kubernetes.io/serviceaccount/service-account.name": "sa",
		"kubernetes.io/serviceaccount/service-account.uid":  "sa-uid",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("claims %v, want %v", got, want)
	}
}
