package authz

import (
	"fmt"
	"slices"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// rbacIndex holds every Role, ClusterRole and binding, with the bindings
// indexed by subject so a decision reads only the bindings naming the user
// or one of its groups. Objects in it are never modified.
type rbacIndex struct {
	mu           sync.RWMutex
	roles        map[string]*rbacv1.Role // namespace/name
	clusterRoles map[string]*rbacv1.ClusterRole
	rbs          map[string]*rbacv1.RoleBinding // namespace/name
	crbs         map[string]*rbacv1.ClusterRoleBinding
	// crbBySubject: subject key → cluster role bindings naming it.
	crbBySubject map[string][]*rbacv1.ClusterRoleBinding
	// rbBySubject: namespace → subject key → role bindings naming it.
	rbBySubject map[string]map[string][]*rbacv1.RoleBinding
}

func newRBACIndex() *rbacIndex {
	return &rbacIndex{
		roles: map[string]*rbacv1.Role{}, clusterRoles: map[string]*rbacv1.ClusterRole{},
		rbs: map[string]*rbacv1.RoleBinding{}, crbs: map[string]*rbacv1.ClusterRoleBinding{},
		crbBySubject: map[string][]*rbacv1.ClusterRoleBinding{}, rbBySubject: map[string]map[string][]*rbacv1.RoleBinding{},
	}
}

// set adds or replaces obj (a Role, ClusterRole, RoleBinding or
// ClusterRoleBinding; other kinds are ignored).
func (x *rbacIndex) set(obj runtime.Object) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(obj)
	switch o := obj.(type) {
	case *rbacv1.Role:
		x.roles[o.Namespace+"/"+o.Name] = o
	case *rbacv1.ClusterRole:
		x.clusterRoles[o.Name] = o
	case *rbacv1.RoleBinding:
		x.rbs[o.Namespace+"/"+o.Name] = o
		bySub := x.rbBySubject[o.Namespace]
		if bySub == nil {
			bySub = map[string][]*rbacv1.RoleBinding{}
			x.rbBySubject[o.Namespace] = bySub
		}
		for _, k := range bindingKeys(o.Subjects, o.Namespace) {
			bySub[k] = append(bySub[k], o)
		}
	case *rbacv1.ClusterRoleBinding:
		x.crbs[o.Name] = o
		for _, k := range bindingKeys(o.Subjects, "") {
			x.crbBySubject[k] = append(x.crbBySubject[k], o)
		}
	}
}

// remove deletes the object of obj's kind and name.
func (x *rbacIndex) remove(obj runtime.Object) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(obj)
}

func (x *rbacIndex) removeLocked(obj runtime.Object) {
	switch o := obj.(type) {
	case *rbacv1.Role:
		delete(x.roles, o.Namespace+"/"+o.Name)
	case *rbacv1.ClusterRole:
		delete(x.clusterRoles, o.Name)
	case *rbacv1.RoleBinding:
		key := o.Namespace + "/" + o.Name
		old := x.rbs[key]
		if old == nil {
			return
		}
		delete(x.rbs, key)
		bySub := x.rbBySubject[o.Namespace]
		for _, k := range bindingKeys(old.Subjects, old.Namespace) {
			bySub[k] = slices.DeleteFunc(bySub[k], func(b *rbacv1.RoleBinding) bool { return b == old })
			if len(bySub[k]) == 0 {
				delete(bySub, k)
			}
		}
	case *rbacv1.ClusterRoleBinding:
		old := x.crbs[o.Name]
		if old == nil {
			return
		}
		delete(x.crbs, o.Name)
		for _, k := range bindingKeys(old.Subjects, "") {
			x.crbBySubject[k] = slices.DeleteFunc(x.crbBySubject[k], func(b *rbacv1.ClusterRoleBinding) bool { return b == old })
			if len(x.crbBySubject[k]) == 0 {
				delete(x.crbBySubject, k)
			}
		}
	}
}

// bindingKeys are the distinct subject keys of a binding.
func bindingKeys(subjects []rbacv1.Subject, ns string) []string {
	var keys []string
	for _, s := range subjects {
		if k, ok := subjectKey(s, ns); ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// source describes where a rule came from, as upstream's reasons do.
type source struct {
	bindingKind, bindingName string
	roleRef                  rbacv1.RoleRef
	subject                  *rbacv1.Subject
	bindingNS                string
}

func (s source) String() string {
	name := s.bindingName
	if s.bindingKind == "RoleBinding" {
		name += "/" + s.bindingNS
	}
	subj := fmt.Sprintf("%s %q", s.subject.Kind, s.subject.Name)
	if s.subject.Kind == rbacv1.ServiceAccountKind {
		ns := s.subject.Namespace
		if ns == "" {
			ns = s.bindingNS
		}
		subj = fmt.Sprintf("%s %q", s.subject.Kind, s.subject.Name+"/"+ns)
	}
	return fmt.Sprintf("%s %q of %s %q to %s", s.bindingKind, name, s.roleRef.Kind, s.roleRef.Name, subj)
}

// visitor receives the rules of one binding; returning false stops.
type visitor func(src source, rules []rbacv1.PolicyRule) bool

// visit calls fn with the rules of every binding that applies to keys in
// namespace (cluster role bindings first, as upstream). It returns the
// resolution errors met (bindings of missing roles).
func (x *rbacIndex) visit(keys []string, namespace string, fn visitor) []error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var errs []error
	for _, k := range keys {
		for _, b := range x.crbBySubject[k] {
			rules, err := x.roleRulesLocked(b.RoleRef, "")
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !fn(source{bindingKind: "ClusterRoleBinding", bindingName: b.Name, roleRef: b.RoleRef, subject: subjectFor(b.Subjects, k, "")}, rules) {
				return errs
			}
		}
	}
	if namespace == "" {
		return errs
	}
	bySub := x.rbBySubject[namespace]
	for _, k := range keys {
		for _, b := range bySub[k] {
			rules, err := x.roleRulesLocked(b.RoleRef, namespace)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !fn(source{bindingKind: "RoleBinding", bindingName: b.Name, bindingNS: namespace, roleRef: b.RoleRef, subject: subjectFor(b.Subjects, k, namespace)}, rules) {
				return errs
			}
		}
	}
	return errs
}

// roleRules returns the rules ref names (a Role in namespace or a
// ClusterRole).
func (x *rbacIndex) roleRules(ref rbacv1.RoleRef, namespace string) ([]rbacv1.PolicyRule, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.roleRulesLocked(ref, namespace)
}

func (x *rbacIndex) roleRulesLocked(ref rbacv1.RoleRef, namespace string) ([]rbacv1.PolicyRule, error) {
	switch ref.Kind {
	case "Role":
		if r := x.roles[namespace+"/"+ref.Name]; r != nil {
			return r.Rules, nil
		}
		return nil, fmt.Errorf("role.rbac.authorization.k8s.io %q not found", ref.Name)
	case "ClusterRole":
		if r := x.clusterRoles[ref.Name]; r != nil {
			return r.Rules, nil
		}
		return nil, fmt.Errorf("clusterrole.rbac.authorization.k8s.io %q not found", ref.Name)
	}
	return nil, fmt.Errorf("unsupported role reference kind: %q", ref.Kind)
}

// subjectFor finds the subject of a binding that produced key.
func subjectFor(subjects []rbacv1.Subject, key, ns string) *rbacv1.Subject {
	for i := range subjects {
		if k, ok := subjectKey(subjects[i], ns); ok && k == key {
			return &subjects[i]
		}
	}
	return &rbacv1.Subject{}
}
