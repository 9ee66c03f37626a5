package apiserver

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// The impersonation headers, as upstream.
const (
	impersonateUser        = "Impersonate-User"
	impersonateGroup       = "Impersonate-Group"
	impersonateUID         = "Impersonate-Uid"
	impersonateExtraPrefix = "Impersonate-Extra-"
)

// withImpersonation lets an authenticated user act as another (kubectl
// --as, --as-group, --as-uid): each requested field must be allowed by the
// "impersonate" verb — users, groups and serviceaccounts in the core group,
// uids and userextras/<key> in authentication.k8s.io — and the request then
// runs as the impersonated user alone, as upstream. It runs inside audit,
// so refusals are recorded and events name both users.
func (s *Server) withImpersonation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want, ok, err := requestedImpersonation(r.Header)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		actor, _ := UserFrom(r.Context())
		for _, a := range impersonationChecks(want) {
			a.User = actor
			allowed, reason, err := s.cfg.Authorizer.Authorize(r.Context(), a)
			if err != nil {
				s.writeError(w, r, apierrors.NewInternalError(fmt.Errorf("authorize impersonation: %w", err)))
				return
			}
			if !allowed {
				s.writeError(w, r, forbidden(a, reason))
				return
			}
		}
		for k := range r.Header {
			if strings.HasPrefix(k, "Impersonate-") {
				r.Header.Del(k)
			}
		}
		auditImpersonation(r.Context(), want)
		next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), want)))
	})
}

// requestedImpersonation reads the impersonation headers into the user the
// request asks to be; ok is false when there are none. Groups, a UID or
// extras without a user are a client error.
func requestedImpersonation(h http.Header) (User, bool, error) {
	u := User{Name: h.Get(impersonateUser), UID: h.Get(impersonateUID), Groups: h.Values(impersonateGroup)}
	for k, vs := range h {
		if !strings.HasPrefix(k, impersonateExtraPrefix) {
			continue
		}
		key, err := url.PathUnescape(strings.ToLower(strings.TrimPrefix(k, impersonateExtraPrefix)))
		if err != nil {
			return User{}, false, apierrors.NewBadRequest(fmt.Sprintf("header %s: malformed extra key: %v", k, err))
		}
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[key] = append(u.Extra[key], vs...)
	}
	if u.Name == "" {
		if len(u.Groups) > 0 || u.UID != "" || len(u.Extra) > 0 {
			return User{}, false, apierrors.NewBadRequest(fmt.Sprintf("requested impersonation of groups %v, uid %q or extra %v without impersonating a user", u.Groups, u.UID, u.Extra))
		}
		return User{}, false, nil
	}
	switch {
	case u.Name == "system:anonymous":
		if !slices.Contains(u.Groups, "system:unauthenticated") {
			u.Groups = append(u.Groups, "system:unauthenticated")
		}
	default:
		if ns, _, ok := serviceAccountName(u.Name); ok && len(h.Values(impersonateGroup)) == 0 {
			u.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns}
		}
		if !slices.Contains(u.Groups, "system:authenticated") {
			u.Groups = append(u.Groups, "system:authenticated")
		}
	}
	return u, true, nil
}

// impersonationChecks are the authorization questions for impersonating u.
func impersonationChecks(u User) []Attributes {
	var out []Attributes
	check := func(group, resource, sub, namespace, name string) {
		out = append(out, Attributes{ResourceRequest: true, Verb: "impersonate", Group: group, Resource: resource,
			Subresource: sub, Namespace: namespace, Name: name})
	}
	if ns, name, ok := serviceAccountName(u.Name); ok {
		check("", "serviceaccounts", "", ns, name)
	} else {
		check("", "users", "", "", u.Name)
	}
	for _, g := range u.Groups {
		if g == "system:authenticated" || g == "system:unauthenticated" {
			continue // added by the server, not asked for
		}
		if ns, _, ok := serviceAccountName(u.Name); ok && (g == "system:serviceaccounts" || g == "system:serviceaccounts:"+ns) {
			continue // implied by the account
		}
		check("", "groups", "", "", g)
	}
	if u.UID != "" {
		check("authentication.k8s.io", "uids", "", "", u.UID)
	}
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range u.Extra[k] {
			check("authentication.k8s.io", "userextras", k, "", v)
		}
	}
	return out
}

// serviceAccountName splits "system:serviceaccount:<ns>:<name>".
func serviceAccountName(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != "" && !strings.Contains(name, ":")
}
