package authz

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// missingRules returns the atomic rules of want that no rule in held
// covers (empty when held covers want).
func missingRules(held, want []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var missing []rbacv1.PolicyRule
	for _, w := range want {
		for _, sub := range breakdown(w) {
			if !slices.ContainsFunc(held, func(h rbacv1.PolicyRule) bool { return ruleCovers(&h, &sub) }) {
				missing = append(missing, sub)
			}
		}
	}
	return missing
}

// breakdown splits rule into rules of one verb, group, resource and name
// (or one verb and URL), as upstream's escalation check does.
func breakdown(rule rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, g := range rule.APIGroups {
		for _, r := range rule.Resources {
			for _, v := range rule.Verbs {
				if len(rule.ResourceNames) == 0 {
					out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{r}, Verbs: []string{v}})
					continue
				}
				for _, n := range rule.ResourceNames {
					out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{r}, ResourceNames: []string{n}, Verbs: []string{v}})
				}
			}
		}
	}
	for _, u := range rule.NonResourceURLs {
		for _, v := range rule.Verbs {
			out = append(out, rbacv1.PolicyRule{NonResourceURLs: []string{u}, Verbs: []string{v}})
		}
	}
	return out
}

// ruleCovers reports whether owner grants everything sub does.
func ruleCovers(owner, sub *rbacv1.PolicyRule) bool {
	names := len(owner.ResourceNames) == 0
	if !names && len(sub.ResourceNames) > 0 {
		names = coversAll(owner.ResourceNames, sub.ResourceNames, exact)
	}
	return names &&
		(slices.Contains(owner.Verbs, "*") || coversAll(owner.Verbs, sub.Verbs, exact)) &&
		(slices.Contains(owner.APIGroups, "*") || coversAll(owner.APIGroups, sub.APIGroups, exact)) &&
		coversAll(owner.Resources, sub.Resources, resourceCovers) &&
		coversAll(owner.NonResourceURLs, sub.NonResourceURLs, urlCovers)
}

func exact(owner, sub string) bool { return owner == sub }

// resourceCovers: "*" covers all, "*/x" covers every resource's x.
func resourceCovers(owner, sub string) bool {
	return owner == "*" || owner == sub ||
		(strings.HasPrefix(owner, "*/") && strings.HasSuffix(sub, owner[1:]))
}

// urlCovers: exact, or a prefix glob ending in "*".
func urlCovers(owner, sub string) bool {
	return owner == sub || (strings.HasSuffix(owner, "*") && strings.HasPrefix(sub, strings.TrimRight(owner, "*")))
}

// coversAll reports whether every value of sub is covered by one of owner.
func coversAll(owner, sub []string, covers func(owner, sub string) bool) bool {
	for _, s := range sub {
		if !slices.ContainsFunc(owner, func(o string) bool { return covers(o, s) }) {
			return false
		}
	}
	return true
}

// compactRules merges rules of one group and one resource (no names, no
// URLs) into one rule per group and resource with all their verbs, as
// upstream does before reporting missing permissions.
func compactRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	type gr struct{ group, resource string }
	merged := map[gr]int{} // → index in out
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 || len(r.APIGroups) != 1 || len(r.Resources) != 1 {
			out = append(out, r)
			continue
		}
		k := gr{r.APIGroups[0], r.Resources[0]}
		i, ok := merged[k]
		if !ok {
			merged[k] = len(out)
			out = append(out, rbacv1.PolicyRule{APIGroups: r.APIGroups, Resources: r.Resources, Verbs: slices.Clone(r.Verbs)})
			continue
		}
		for _, v := range r.Verbs {
			if !slices.Contains(out[i].Verbs, v) {
				out[i].Verbs = append(out[i].Verbs, v)
			}
		}
	}
	return out
}

// compactString is upstream's short form of a rule, e.g.
// {APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}.
func compactString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, v []string) {
		if len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, v))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("NonResourceURLs", r.NonResourceURLs)
	add("ResourceNames", r.ResourceNames)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
