package apiserver

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Attributes describe one request for authorization, as upstream's
// authorizer.Attributes do.
type Attributes struct {
	User User
	// ResourceRequest is true for /api and /apis resource paths; the
	// remaining fields then name the resource, else Path names the URL.
	ResourceRequest bool
	Verb            string
	Group, Version  string
	Resource        string
	Subresource     string
	Namespace, Name string
	Path            string
}

// Authorizer decides whether a request may proceed. A "no" is not an error:
// err is for faults, reason explains a decision.
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (allowed bool, reason string, err error)
	// Rules lists what user may do in namespace, for SelfSubjectRulesReview.
	Rules(ctx context.Context, user User, namespace string) (resource []authorizationv1.ResourceRule, nonResource []authorizationv1.NonResourceRule, incomplete bool, err error)
}

// WriteGuard is optionally implemented by an Authorizer that vets the
// objects a user creates or updates beyond the verb check, as upstream's
// RBAC registry refuses privilege escalation. A refusal is an API error
// (Forbidden, NotFound); other errors are faults.
type WriteGuard interface {
	CheckWrite(ctx context.Context, user User, obj, old runtime.Object) error
}

// AllowAll lets every authenticated user do everything: the behaviour until
// RBAC is configured, as upstream's AlwaysAllow authorizer.
type AllowAll struct{}

var _ Authorizer = AllowAll{}

// Authorize allows.
func (AllowAll) Authorize(context.Context, Attributes) (bool, string, error) { return true, "", nil }

// Rules grants every verb on everything.
func (AllowAll) Rules(context.Context, User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	all := []string{"*"}
	return []authorizationv1.ResourceRule{{Verbs: all, APIGroups: all, Resources: all}},
		[]authorizationv1.NonResourceRule{{Verbs: all, NonResourceURLs: all}}, false, nil
}

// forbidden is upstream's 403 for a denied resource request.
func forbidden(a Attributes, reason string) error {
	gr := schema.GroupResource{Group: a.Group, Resource: a.Resource}
	what := fmt.Sprintf("User %q cannot %s resource %q in API group %q", a.User.Name, a.Verb, resourceWithSub(a), a.Group)
	switch {
	case a.Namespace != "":
		what += fmt.Sprintf(" in the namespace %q", a.Namespace)
	default:
		what += " at the cluster scope"
	}
	if reason != "" {
		what += ": " + reason
	}
	return apierrors.NewForbidden(gr, a.Name, fmt.Errorf("%s", what))
}

func resourceWithSub(a Attributes) string {
	if a.Subresource != "" {
		return a.Resource + "/" + a.Subresource
	}
	return a.Resource
}

// authorize checks rq against the configured authorizer.
func (s *Server) authorize(rq *request) error {
	u, _ := UserFrom(rq.ctx)
	if u.Name == "" {
		// Requests without credentials that got this far (cluster-info) are
		// upstream's anonymous user.
		u = User{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}
	}
	a := Attributes{User: u, ResourceRequest: true, Verb: rq.ri.verb, Group: rq.ri.group, Version: rq.ri.version,
		Resource: rq.ri.resource, Subresource: rq.ri.sub, Namespace: rq.ri.namespace, Name: rq.ri.name}
	if rq.ri.resource == "namespaces" && rq.ri.name != "" {
		a.Namespace = rq.ri.name
	}
	if a.Name == "" && (a.Verb == "list" || a.Verb == "watch") {
		// As upstream's RequestInfo: a list or watch of one object by
		// fieldSelector=metadata.name=<name> is authorized as that name.
		a.Name = fieldSelectorName(rq.q.Get("fieldSelector"))
	}
	ok, reason, err := s.cfg.Authorizer.Authorize(rq.ctx, a)
	auditAuthorization(rq.ctx, ok, reason, err)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("authorize: %w", err))
	}
	if !ok {
		return forbidden(a, reason)
	}
	return nil
}

// fieldSelectorName is the name an exact metadata.name field selector
// selects, or "".
func fieldSelectorName(selector string) string {
	if selector == "" {
		return ""
	}
	sel, err := fields.ParseSelector(selector)
	if err != nil {
		return ""
	}
	name, _ := sel.RequiresExactMatch("metadata.name")
	return name
}
