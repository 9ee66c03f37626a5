package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver"
)

// CheckWrite refuses, as upstream's RBAC registry does, a Role or
// ClusterRole granting permissions its writer does not hold (unless the
// writer may "escalate" on it) and a binding to a role whose permissions
// its writer does not hold (unless the writer may "bind" it). Members of
// system:masters may do both. Writes that leave rules, aggregation rule,
// role reference and subjects unchanged are not checked.
func (c *Chain) CheckWrite(ctx context.Context, u apiserver.User, obj, old runtime.Object) error {
	if slices.Contains(u.Groups, "system:masters") || (old != nil && sameGrant(obj, old)) {
		return nil
	}
	switch o := obj.(type) {
	case *rbacv1.Role:
		return c.checkRole(ctx, u, "roles", o.Namespace, o.Name, o.Rules, false)
	case *rbacv1.ClusterRole:
		return c.checkRole(ctx, u, "clusterroles", "", o.Name, o.Rules, o.AggregationRule != nil)
	case *rbacv1.RoleBinding:
		return c.checkBinding(ctx, u, "rolebindings", o.Namespace, o.Name, o.RoleRef)
	case *rbacv1.ClusterRoleBinding:
		return c.checkBinding(ctx, u, "clusterrolebindings", "", o.Name, o.RoleRef)
	}
	return nil
}

// sameGrant reports an update that changes nothing RBAC decides on.
func sameGrant(obj, old runtime.Object) bool {
	switch o := obj.(type) {
	case *rbacv1.Role:
		p, ok := old.(*rbacv1.Role)
		return ok && equality.Semantic.DeepEqual(o.Rules, p.Rules)
	case *rbacv1.ClusterRole:
		p, ok := old.(*rbacv1.ClusterRole)
		return ok && equality.Semantic.DeepEqual(o.Rules, p.Rules) && equality.Semantic.DeepEqual(o.AggregationRule, p.AggregationRule)
	case *rbacv1.RoleBinding:
		p, ok := old.(*rbacv1.RoleBinding)
		return ok && o.RoleRef == p.RoleRef && equality.Semantic.DeepEqual(o.Subjects, p.Subjects)
	case *rbacv1.ClusterRoleBinding:
		p, ok := old.(*rbacv1.ClusterRoleBinding)
		return ok && o.RoleRef == p.RoleRef && equality.Semantic.DeepEqual(o.Subjects, p.Subjects)
	}
	return false
}

func rbacResource(resource string) schema.GroupResource {
	return schema.GroupResource{Group: rbacv1.GroupName, Resource: resource}
}

// allowedVerb asks the whole chain whether u may verb the named RBAC object.
func (c *Chain) allowedVerb(ctx context.Context, u apiserver.User, verb, resource, namespace, name string) (bool, error) {
	ok, _, err := c.Authorize(ctx, apiserver.Attributes{User: u, ResourceRequest: true, Verb: verb, Group: rbacv1.GroupName,
		Version: "v1", Resource: resource, Namespace: namespace, Name: name})
	return ok, err
}

func (c *Chain) checkRole(ctx context.Context, u apiserver.User, resource, ns, name string, rules []rbacv1.PolicyRule, aggregated bool) error {
	ok, err := c.allowedVerb(ctx, u, "escalate", resource, ns, name)
	if err != nil || ok {
		return err
	}
	if aggregated {
		return apierrors.NewForbidden(rbacResource(resource), name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
	}
	if err := c.confirmNoEscalation(u, ns, rules); err != nil {
		return apierrors.NewForbidden(rbacResource(resource), name, err)
	}
	return nil
}

func (c *Chain) checkBinding(ctx context.Context, u apiserver.User, resource, ns, name string, ref rbacv1.RoleRef) error {
	refResource := "clusterroles"
	if ref.Kind == "Role" {
		refResource = "roles"
	}
	ok, err := c.allowedVerb(ctx, u, "bind", refResource, ns, ref.Name)
	if err != nil || ok {
		return err
	}
	rules, err := c.rbac.idx.roleRules(ref, ns)
	if err != nil {
		return apierrors.NewNotFound(rbacResource(refResource), ref.Name)
	}
	if err := c.confirmNoEscalation(u, ns, rules); err != nil {
		return apierrors.NewForbidden(rbacResource(resource), name, err)
	}
	return nil
}

// confirmNoEscalation fails when u does not hold every permission of rules
// in namespace, with upstream's message listing what is missing.
func (c *Chain) confirmNoEscalation(u apiserver.User, namespace string, rules []rbacv1.PolicyRule) error {
	held, errs := c.rbac.rulesFor(u, namespace)
	missing := missingRules(held, rules)
	if len(missing) == 0 {
		return nil
	}
	var descs []string
	for _, m := range compactRules(missing) {
		if d := compactString(m); !slices.Contains(descs, d) {
			descs = append(descs, d)
		}
	}
	slices.Sort(descs)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", u.Name, u.Groups, strings.Join(descs, "\n"))
	if len(errs) > 0 {
		msg += fmt.Sprintf("; resolution errors: %s", aggregate(errs))
	}
	return errors.New(msg)
}
