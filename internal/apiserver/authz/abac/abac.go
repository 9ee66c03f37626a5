package abac

import (
	"context"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/capstan/capstan/internal/apiserver"
)

// Authorizer allows what any of its policies allows.
type Authorizer struct {
	policies []PolicySpec
}

var _ apiserver.Authorizer = (*Authorizer)(nil)

// New returns an authorizer over policies (the slice is kept; do not
// change it afterwards).
func New(policies []PolicySpec) *Authorizer { return &Authorizer{policies: policies} }

// Authorize allows when a policy matches; otherwise it has no opinion.
func (z *Authorizer) Authorize(_ context.Context, a apiserver.Attributes) (bool, string, error) {
	for _, p := range z.policies {
		if Matches(p, a) {
			return true, "", nil
		}
	}
	return false, "No policy matched.", nil
}

// Matches reports whether p allows a, as upstream's ABAC matching.
func Matches(p PolicySpec, a apiserver.Attributes) bool {
	if !subjectMatches(p, a.User) || (p.Readonly && !readOnly(a.Verb)) {
		return false
	}
	if a.ResourceRequest {
		return wildOrEqual(p.Namespace, a.Namespace) && wildOrEqual(p.Resource, a.Resource) && wildOrEqual(p.APIGroup, a.Group)
	}
	return pathMatches(p.NonResourcePath, a.Path)
}

func subjectMatches(p PolicySpec, u apiserver.User) bool {
	matched := false
	if p.User != "" {
		if p.User != "*" && p.User != u.Name {
			return false
		}
		matched = true
	}
	if p.Group != "" {
		if p.Group != "*" && !slices.Contains(u.Groups, p.Group) {
			return false
		}
		matched = true
	}
	return matched
}

func readOnly(verb string) bool { return verb == "get" || verb == "list" || verb == "watch" }

func wildOrEqual(pattern, v string) bool { return pattern == "*" || pattern == v }

func pathMatches(pattern, path string) bool {
	switch {
	case pattern == "":
		return false
	case pattern == "*" || pattern == path:
		return true
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(path, strings.TrimSuffix(pattern, "*"))
	}
	return false
}

// Rules lists, for SelfSubjectRulesReview, the policies of user that
// apply in namespace, as upstream's ABAC RulesFor.
func (z *Authorizer) Rules(_ context.Context, user apiserver.User, namespace string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	var res []authorizationv1.ResourceRule
	var nonRes []authorizationv1.NonResourceRule
	for _, p := range z.policies {
		if !subjectMatches(p, user) {
			continue
		}
		verbs := []string{"*"}
		if p.Readonly {
			verbs = []string{"get", "list", "watch"}
		}
		if p.Resource != "" && wildOrEqual(p.Namespace, namespace) {
			res = append(res, authorizationv1.ResourceRule{Verbs: verbs, APIGroups: []string{p.APIGroup}, Resources: []string{p.Resource}})
		}
		if p.NonResourcePath != "" {
			nonRes = append(nonRes, authorizationv1.NonResourceRule{Verbs: verbs, NonResourceURLs: []string{p.NonResourcePath}})
		}
	}
	return res, nonRes, false, nil
}
