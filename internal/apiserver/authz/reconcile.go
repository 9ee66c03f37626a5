package authz

import (
	"context"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ReconcileDefaults creates the missing objects of p and, on existing ones
// not annotated autoupdate=false, adds missing rules, aggregation
// selectors, subjects, labels and annotations, as upstream's API server
// does at start. It never removes anything.
func ReconcileDefaults(ctx context.Context, cs kubernetes.Interface, p Policy) error {
	rbac := cs.RbacV1()
	for i := range p.ClusterRoles {
		want := &p.ClusterRoles[i]
		err := reconcile(ctx, want.Name, want, rbac.ClusterRoles().Get, rbac.ClusterRoles().Create, rbac.ClusterRoles().Update,
			func(cur *rbacv1.ClusterRole) bool {
				return mergeRules(&cur.Rules, want.Rules) || mergeAggregation(&cur.AggregationRule, want.AggregationRule)
			})
		if err != nil {
			return err
		}
	}
	for i := range p.Roles {
		want := &p.Roles[i]
		roles := rbac.Roles(want.Namespace)
		if err := reconcile(ctx, want.Name, want, roles.Get, roles.Create, roles.Update,
			func(cur *rbacv1.Role) bool { return mergeRules(&cur.Rules, want.Rules) }); err != nil {
			return err
		}
	}
	for i := range p.ClusterRoleBindings {
		want := &p.ClusterRoleBindings[i]
		err := reconcile(ctx, want.Name, want, rbac.ClusterRoleBindings().Get, rbac.ClusterRoleBindings().Create, rbac.ClusterRoleBindings().Update,
			func(cur *rbacv1.ClusterRoleBinding) bool { return mergeSubjects(&cur.Subjects, want.Subjects) })
		if err != nil {
			return err
		}
	}
	for i := range p.RoleBindings {
		want := &p.RoleBindings[i]
		rbs := rbac.RoleBindings(want.Namespace)
		if err := reconcile(ctx, want.Name, want, rbs.Get, rbs.Create, rbs.Update,
			func(cur *rbacv1.RoleBinding) bool { return mergeSubjects(&cur.Subjects, want.Subjects) }); err != nil {
			return err
		}
	}
	return nil
}

// reconcile creates want or merges it into the existing object with merge
// (which reports a change), then fixes labels and annotations.
func reconcile[T interface {
	metav1.Object
	*rbacv1.ClusterRole | *rbacv1.Role | *rbacv1.ClusterRoleBinding | *rbacv1.RoleBinding
}](ctx context.Context, name string, want T,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	create func(context.Context, T, metav1.CreateOptions) (T, error),
	update func(context.Context, T, metav1.UpdateOptions) (T, error),
	merge func(cur T) bool) error {
	cur, err := get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := create(ctx, want, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create default %T %s: %w", want, name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get default %T %s: %w", want, name, err)
	}
	if cur.GetAnnotations()[autoUpdateAnnotation] == "false" {
		return nil
	}
	changed := merge(cur)
	changed = mergeMap(cur.GetLabels, cur.SetLabels, want.GetLabels()) || changed
	changed = mergeMap(cur.GetAnnotations, cur.SetAnnotations, want.GetAnnotations()) || changed
	if !changed {
		return nil
	}
	if _, err := update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update default %T %s: %w", want, name, err)
	}
	return nil
}

func mergeMap(get func() map[string]string, set func(map[string]string), want map[string]string) bool {
	m, changed := get(), false
	for k, v := range want {
		if _, ok := m[k]; !ok {
			if m == nil {
				m = map[string]string{}
			}
			m[k], changed = v, true
		}
	}
	set(m)
	return changed
}

// mergeRules appends the rules of want that cur does not cover.
func mergeRules(cur *[]rbacv1.PolicyRule, want []rbacv1.PolicyRule) bool {
	changed := false
	for _, w := range want {
		if len(missingRules(*cur, []rbacv1.PolicyRule{w})) > 0 {
			*cur, changed = append(*cur, w), true
		}
	}
	return changed
}

func mergeAggregation(cur **rbacv1.AggregationRule, want *rbacv1.AggregationRule) bool {
	if want == nil {
		return false
	}
	if *cur == nil {
		*cur = want.DeepCopy()
		return true
	}
	changed := false
	for _, sel := range want.ClusterRoleSelectors {
		if !slices.ContainsFunc((*cur).ClusterRoleSelectors, func(s metav1.LabelSelector) bool {
			return metav1.FormatLabelSelector(&s) == metav1.FormatLabelSelector(&sel)
		}) {
			(*cur).ClusterRoleSelectors, changed = append((*cur).ClusterRoleSelectors, sel), true
		}
	}
	return changed
}

func mergeSubjects(cur *[]rbacv1.Subject, want []rbacv1.Subject) bool {
	changed := false
	for _, s := range want {
		if !slices.Contains(*cur, s) {
			*cur, changed = append(*cur, s), true
		}
	}
	return changed
}
