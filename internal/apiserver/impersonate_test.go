package apiserver_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// impersonationPolicy allows impersonating user bob, group devs, the
// account ns/robot, uid 42 and extra scopes=view; everything else that is
// not impersonation is allowed.
type impersonationPolicy struct{ apiserver.AllowAll }

func (impersonationPolicy) Authorize(_ context.Context, a apiserver.Attributes) (bool, string, error) {
	if a.Verb != "impersonate" {
		return true, "", nil
	}
	switch a.Resource + "/" + a.Subresource + "/" + a.Namespace + "/" + a.Name {
	case "users///bob", "groups///devs", "serviceaccounts//ns/robot", "uids///42", "userextras/scopes//view":
		return true, "", nil
	}
	return false, "", nil
}

func TestImpersonation(t *testing.T) {
	srv := apiservertest.Start(t, func(c *apiserver.Config) { c.Authorizer = impersonationPolicy{} })
	as := func(imp rest.ImpersonationConfig) kubernetes.Interface {
		cfg := rest.CopyConfig(srv.Config)
		cfg.Impersonate = imp
		return kubernetes.NewForConfigOrDie(cfg)
	}
	for _, tc := range []struct {
		name       string
		imp        rest.ImpersonationConfig
		wantUser   string
		wantGroups []string
		wantExtra  map[string]authenticationv1.ExtraValue
		wantUID    string
		wantErr    string
	}{
		{name: "user", imp: rest.ImpersonationConfig{UserName: "bob"}, wantUser: "bob", wantGroups: []string{"system:authenticated"}},
		{name: "user and group", imp: rest.ImpersonationConfig{UserName: "bob", Groups: []string{"devs"}}, wantUser: "bob", wantGroups: []string{"devs", "system:authenticated"}},
		{name: "uid and extra", imp: rest.ImpersonationConfig{UserName: "bob", UID: "42", Extra: map[string][]string{"scopes": {"view"}}},
			wantUser: "bob", wantUID: "42", wantGroups: []string{"system:authenticated"}, wantExtra: map[string]authenticationv1.ExtraValue{"scopes": {"view"}}},
		{name: "service account gets its groups", imp: rest.ImpersonationConfig{UserName: "system:serviceaccount:ns:robot"},
			wantUser: "system:serviceaccount:ns:robot", wantGroups: []string{"system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"}},
		{name: "user not allowed", imp: rest.ImpersonationConfig{UserName: "root"},
			wantErr: `users "root" is forbidden: User "test-admin" cannot impersonate resource "users" in API group "" at the cluster scope`},
		{name: "group not allowed", imp: rest.ImpersonationConfig{UserName: "bob", Groups: []string{"system:masters"}},
			wantErr: `groups "system:masters" is forbidden: User "test-admin" cannot impersonate resource "groups" in API group "" at the cluster scope`},
		{name: "extra not allowed", imp: rest.ImpersonationConfig{UserName: "bob", Extra: map[string][]string{"scopes": {"admin"}}},
			wantErr: `userextras.authentication.k8s.io "admin" is forbidden: User "test-admin" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope`},
		{name: "account in another namespace", imp: rest.ImpersonationConfig{UserName: "system:serviceaccount:other:robot"},
			wantErr: `serviceaccounts "robot" is forbidden: User "test-admin" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "other"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who, err := as(tc.imp).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if tc.wantErr != "" {
				if !apierrors.IsForbidden(err) || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want Forbidden %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := who.Status.UserInfo
			if got.Username != tc.wantUser || got.UID != tc.wantUID || !slices.Equal(got.Groups, tc.wantGroups) || len(got.Extra) != len(tc.wantExtra) {
				t.Fatalf("whoami = %+v, want user %q uid %q groups %v extra %v", got, tc.wantUser, tc.wantUID, tc.wantGroups, tc.wantExtra)
			}
			for k, v := range tc.wantExtra {
				if !slices.Equal(got.Extra[k], v) {
					t.Errorf("extra %s = %v, want %v", k, got.Extra[k], v)
				}
			}
		})
	}
	t.Run("group without user", func(t *testing.T) {
		cfg := rest.CopyConfig(srv.Config)
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				r.Header.Set("Impersonate-Group", "devs")
				return rt.RoundTrip(r)
			})
		}
		_, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Fatalf("err = %v, want BadRequest", err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestImpersonationIsAudited(t *testing.T) {
	srv, log := startAudited(t)
	cfg := rest.CopyConfig(srv.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "bob", Groups: []string{"devs"}}
	if _, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().Get(context.Background(), "default", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	evs := log.find("get", "namespaces", "default", "ResponseComplete")
	if len(evs) != 1 {
		t.Fatalf("%d ResponseComplete events for the get, want 1", len(evs))
	}
	ev := evs[0]
	if ev.User.Username != "test-admin" || ev.ImpersonatedUser == nil || ev.ImpersonatedUser.Username != "bob" ||
		!slices.Equal(ev.ImpersonatedUser.Groups, []string{"devs", "system:authenticated"}) {
		t.Errorf("event user %+v impersonated %+v, want test-admin acting as bob in devs", ev.User, ev.ImpersonatedUser)
	}
}
