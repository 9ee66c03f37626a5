package oidc

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/capstan/capstan/internal/apiserver"
)

// userFromClaims maps the claims of a verified token to a user, as
// upstream's OIDC authenticator: the username claim must be a non-empty
// string; with the "email" claim, email_verified, when present, must be
// true; the groups claim may be a string or an array of strings; every
// required claim must be present with its value.
func userFromClaims(o Options, prefix string, claims map[string]json.RawMessage) (apiserver.User, error) {
	name, err := stringClaim(claims, o.UsernameClaim)
	if err != nil {
		return apiserver.User{}, err
	}
	if name == "" {
		return apiserver.User{}, fmt.Errorf("oidc: claim %q is empty", o.UsernameClaim)
	}
	if o.UsernameClaim == "email" {
		if raw, ok := claims["email_verified"]; ok {
			var verified bool
			if err := json.Unmarshal(raw, &verified); err != nil {
				return apiserver.User{}, fmt.Errorf("oidc: parse claim email_verified: %w", err)
			}
			if !verified {
				return apiserver.User{}, fmt.Errorf("oidc: email not verified")
			}
		}
	}
	u := apiserver.User{Name: prefix + name}
	if o.GroupsClaim != "" {
		groups, err := groupsClaim(claims, o.GroupsClaim)
		if err != nil {
			return apiserver.User{}, err
		}
		for _, g := range groups {
			u.Groups = append(u.Groups, o.GroupsPrefix+g)
		}
	}
	keys := make([]string, 0, len(o.RequiredClaims))
	for k := range o.RequiredClaims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got, err := stringClaim(claims, k)
		if err != nil {
			return apiserver.User{}, fmt.Errorf("oidc: required claim: %w", err)
		}
		if got != o.RequiredClaims[k] {
			return apiserver.User{}, fmt.Errorf("oidc: required claim %s: value does not match", k)
		}
	}
	return u, nil
}

func stringClaim(claims map[string]json.RawMessage, name string) (string, error) {
	raw, ok := claims[name]
	if !ok {
		return "", fmt.Errorf("oidc: claim %q not present", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("oidc: claim %q is not a string: %w", name, err)
	}
	return s, nil
}

// groupsClaim reads a string or string-array claim; an absent claim is no
// groups.
func groupsClaim(claims map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := claims[name]
	if !ok {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("oidc: claim %q is neither a string nor an array of strings", name)
	}
	return many, nil
}
