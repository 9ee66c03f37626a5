package audit

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Attributes are what a policy looks at in a request.
type Attributes struct {
	User   string
	Groups []string
	// Verb is the Kubernetes verb for resource requests (get, list, watch,
	// create, update, patch, delete, deletecollection) and the lower-case
	// HTTP method otherwise.
	Verb string
	// Path is the URL path (for nonResourceURLs).
	Path string
	// ResourceRequest is set for /api and /apis resource paths.
	ResourceRequest       bool
	APIGroup, APIVersion  string
	Resource, Subresource string
	Namespace, Name       string
}

// Decision is what the policy says about one request.
type Decision struct {
	Level             Level
	OmitStages        []Stage
	OmitManagedFields bool
}

// Omits reports whether events of stage s are left out.
func (d Decision) Omits(s Stage) bool { return slices.Contains(d.OmitStages, s) }

// LoadPolicy reads and validates the policy file at path.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit policy: %w", err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("audit policy %s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy decodes and validates an audit.k8s.io/v1 Policy (YAML or
// JSON; unknown fields are errors).
func ParsePolicy(data []byte) (*Policy, error) {
	var p Policy
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		return nil, err
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" {
		return nil, fmt.Errorf("apiVersion %q kind %q: want audit.k8s.io/v1 Policy", p.APIVersion, p.Kind)
	}
	if len(p.Rules) == 0 {
		return nil, errors.New("rules: at least one rule is required")
	}
	if err := validStages(p.OmitStages); err != nil {
		return nil, fmt.Errorf("omitStages: %w", err)
	}
	for i, r := range p.Rules {
		if err := validRule(r); err != nil {
			return nil, fmt.Errorf("rules[%d]: %w", i, err)
		}
	}
	return &p, nil
}

func validStages(stages []Stage) error {
	for _, s := range stages {
		if !s.valid() {
			return fmt.Errorf("unknown stage %q", s)
		}
	}
	return nil
}

func validRule(r PolicyRule) error {
	if !r.Level.valid() || r.Level == "" {
		return fmt.Errorf("level: unknown level %q (None, Metadata, Request, RequestResponse)", r.Level)
	}
	if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
		return errors.New("rules cannot apply to both regular resources and non-resource URLs")
	}
	for _, u := range r.NonResourceURLs {
		if i := strings.Index(u, "*"); i >= 0 && i != len(u)-1 {
			return fmt.Errorf("nonResourceURLs: %q: \"*\" is only allowed at the end", u)
		}
	}
	for _, gr := range r.Resources {
		if len(gr.ResourceNames) > 0 && len(gr.Resources) == 0 {
			return errors.New("resources: resourceNames require resources")
		}
	}
	return validStages(r.OmitStages)
}

// Evaluate returns the level and omitted stages for a request: the first
// matching rule's, with the policy's omitStages added; None if no rule
// matches. Secrets and other credentials are capped at Metadata.
func (p *Policy) Evaluate(a Attributes) Decision {
	for _, r := range p.Rules {
		if !ruleMatches(r, a) {
			continue
		}
		d := Decision{Level: r.Level, OmitManagedFields: p.OmitManagedFields}
		d.OmitStages = append(append(d.OmitStages, p.OmitStages...), r.OmitStages...)
		if r.OmitManagedFields != nil {
			d.OmitManagedFields = *r.OmitManagedFields
		}
		if LevelMetadata.Less(d.Level) && sensitive(a) {
			d.Level = LevelMetadata
		}
		return d
	}
	return Decision{Level: LevelNone}
}

// sensitive lists requests whose bodies carry credentials and so are
// never logged beyond Metadata: Secrets, TokenReviews and ServiceAccount
// tokens.
func sensitive(a Attributes) bool {
	if !a.ResourceRequest {
		return false
	}
	switch {
	case a.APIGroup == "" && a.Resource == "secrets":
		return true
	case a.APIGroup == "" && a.Resource == "serviceaccounts" && a.Subresource == "token":
		return true
	case a.APIGroup == "authentication.k8s.io" && a.Resource == "tokenreviews":
		return true
	}
	return false
}

func ruleMatches(r PolicyRule, a Attributes) bool {
	if len(r.Users) > 0 && !slices.Contains(r.Users, a.User) {
		return false
	}
	if len(r.UserGroups) > 0 && !slices.ContainsFunc(a.Groups, func(g string) bool { return slices.Contains(r.UserGroups, g) }) {
		return false
	}
	if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, a.Verb) {
		return false
	}
	if len(r.Namespaces) > 0 || len(r.Resources) > 0 {
		return a.ResourceRequest && resourceMatches(r, a)
	}
	if len(r.NonResourceURLs) > 0 {
		return !a.ResourceRequest && slices.ContainsFunc(r.NonResourceURLs, func(u string) bool { return pathMatches(a.Path, u) })
	}
	return true
}

func pathMatches(path, spec string) bool {
	if spec == "*" || spec == path {
		return true
	}
	return strings.HasSuffix(spec, "*") && strings.HasPrefix(path, strings.TrimSuffix(spec, "*"))
}

// resourceMatches applies namespaces and resources (non-namespaced
// requests have namespace "").
func resourceMatches(r PolicyRule, a Attributes) bool {
	if len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, a.Namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	combined := a.Resource
	if a.Subresource != "" {
		combined += "/" + a.Subresource
	}
	for _, gr := range r.Resources {
		if gr.Group != a.APIGroup {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 && !slices.Contains(gr.ResourceNames, a.Name) {
			continue
		}
		for _, res := range gr.Resources {
			switch {
			case res == "*" || res == combined:
				return true
			case a.Subresource != "" && strings.HasPrefix(res, "*/") && a.Subresource == res[2:]:
				return true
			case strings.HasSuffix(res, "/*") && a.Resource == strings.TrimSuffix(res, "/*"):
				return true
			}
		}
	}
	return false
}
