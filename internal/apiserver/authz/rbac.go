package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/capstan/capstan/internal/apiserver"
)

// RBAC is upstream's RBAC authorizer over an in-memory index of roles and
// bindings. It allows or has no opinion; it never denies outright.
type RBAC struct {
	idx *rbacIndex
}

// Authorize allows a when a rule of a binding applying to its user does.
func (r *RBAC) Authorize(_ context.Context, a apiserver.Attributes) (bool, string, error) {
	var reason string
	errs := r.idx.visit(userKeys(a.User), a.Namespace, func(src source, rules []rbacv1.PolicyRule) bool {
		for i := range rules {
			if ruleAllows(&a, &rules[i]) {
				reason = "RBAC: allowed by " + src.String()
				return false
			}
		}
		return true
	})
	if reason != "" {
		return true, reason, nil
	}
	if len(errs) > 0 {
		return false, "RBAC: " + aggregate(errs), nil
	}
	return false, "", nil
}

// Rules lists what u may do in namespace; incomplete when some binding
// names a missing role.
func (r *RBAC) Rules(_ context.Context, u apiserver.User, namespace string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	rules, errs := r.rulesFor(u, namespace)
	res, nonRes := reviewRules(rules)
	if len(errs) > 0 {
		return res, nonRes, true, errors.New(aggregate(errs))
	}
	return res, nonRes, false, nil
}

// rulesFor collects every rule u holds in namespace.
func (r *RBAC) rulesFor(u apiserver.User, namespace string) ([]rbacv1.PolicyRule, []error) {
	var rules []rbacv1.PolicyRule
	errs := r.idx.visit(userKeys(u), namespace, func(_ source, rs []rbacv1.PolicyRule) bool {
		rules = append(rules, rs...)
		return true
	})
	return rules, errs
}

// reviewRules converts policy rules to SelfSubjectRulesReview rules.
func reviewRules(rules []rbacv1.PolicyRule) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule) {
	var res []authorizationv1.ResourceRule
	var nonRes []authorizationv1.NonResourceRule
	for _, r := range rules {
		if len(r.Resources) > 0 {
			res = append(res, authorizationv1.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
		}
		if len(r.NonResourceURLs) > 0 {
			nonRes = append(nonRes, authorizationv1.NonResourceRule{Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs})
		}
	}
	return res, nonRes
}

// aggregate formats errors as upstream's utilerrors aggregate does.
func aggregate(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Sprintf("[%s]", strings.Join(msgs, ", "))
}
