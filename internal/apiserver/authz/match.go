package authz

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/capstan/capstan/internal/apiserver"
)

// ruleAllows reports whether rule grants the request a, with upstream's
// matching: "*" wildcards for verbs, groups and resources, "*/sub" for a
// subresource of any resource, resourceNames limiting by name, and
// nonResourceURLs with a trailing "*" as a prefix glob.
func ruleAllows(a *apiserver.Attributes, rule *rbacv1.PolicyRule) bool {
	if !matchesValue(rule.Verbs, a.Verb) {
		return false
	}
	if !a.ResourceRequest {
		return nonResourceURLMatches(rule.NonResourceURLs, a.Path)
	}
	return matchesValue(rule.APIGroups, a.Group) &&
		resourceMatches(rule.Resources, a.Resource, a.Subresource) &&
		(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, a.Name))
}

// matchesValue reports whether want is in list or list holds "*".
func matchesValue(list []string, want string) bool {
	for _, v := range list {
		if v == "*" || v == want {
			return true
		}
	}
	return false
}

// resourceMatches implements upstream's ResourceMatches: "pods/log" is the
// combined name of a subresource request; "*/log" matches any resource's
// log subresource; "*" matches everything.
func resourceMatches(ruleResources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined = resource + "/" + sub
	}
	for _, r := range ruleResources {
		switch {
		case r == "*", r == combined:
			return true
		case sub != "" && len(r) == len(sub)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, sub):
			return true
		}
	}
	return false
}

// nonResourceURLMatches matches a path against rule URLs: exact, "*", or a
// prefix ending in "*".
func nonResourceURLMatches(urls []string, path string) bool {
	for _, u := range urls {
		switch {
		case u == "*", u == path:
			return true
		case strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimSuffix(u, "*")):
			return true
		}
	}
	return false
}

// serviceAccountUser is the user name of a service account.
func serviceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// subjectKey indexes a binding subject: users and service accounts by user
// name, groups by group name. bindingNS defaults a service account's
// namespace, as upstream does for RoleBindings. ok is false for a subject
// that can match nobody (unknown kind, service account without namespace).
func subjectKey(s rbacv1.Subject, bindingNS string) (key string, ok bool) {
	switch s.Kind {
	case rbacv1.UserKind:
		return "u:" + s.Name, true
	case rbacv1.GroupKind:
		return "g:" + s.Name, true
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		if ns == "" {
			return "", false
		}
		return "u:" + serviceAccountUser(ns, s.Name), true
	}
	return "", false
}

// userKeys are the subject keys a user matches.
func userKeys(u apiserver.User) []string {
	keys := make([]string, 0, len(u.Groups)+1)
	keys = append(keys, "u:"+u.Name)
	for _, g := range u.Groups {
		keys = append(keys, "g:"+g)
	}
	return keys
}
