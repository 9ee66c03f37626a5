package authz

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	autoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
	bootstrappingLabel   = "kubernetes.io/bootstrapping"
	aggregateTo          = "rbac.authorization.k8s.io/aggregate-to-"
)

// Policy is the default RBAC objects of a cluster.
type Policy struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role
	RoleBindings        []rbacv1.RoleBinding
}

// rule builds a policy rule: verbs on resources of groups.
func rule(verbs []string, groups []string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

func urls(verbs []string, u ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: u}
}

// Verb and group lists of the policy, built fresh per call (no shared
// mutable slices).
func read() []string  { return []string{"get", "list", "watch"} }
func write() []string { return []string{"create", "delete", "deletecollection", "patch", "update"} }
func all() []string   { return []string{"*"} }
func core() []string  { return []string{""} }

func objectMeta(name string, labels map[string]string) metav1.ObjectMeta {
	l := map[string]string{bootstrappingLabel: "rbac-defaults"}
	for k, v := range labels {
		l[k] = v
	}
	return metav1.ObjectMeta{Name: name, Labels: l, Annotations: map[string]string{autoUpdateAnnotation: "true"}}
}

func clusterRole(name string, labels map[string]string, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{ObjectMeta: objectMeta(name, labels), Rules: rules}
}

// aggregated is a ClusterRole whose rules the aggregation controller fills
// from ClusterRoles labelled aggregate-to-<to>.
func aggregated(name, to string, labels map[string]string) rbacv1.ClusterRole {
	r := clusterRole(name, labels)
	r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{aggregateTo + to: "true"}}}}
	return r
}

func clusterBinding(name, role string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{ObjectMeta: objectMeta(name, nil),
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

// DefaultPolicy returns the roles and bindings every cluster starts with:
// upstream's bootstrap policy (the parts Capstan uses) plus the bindings
// Capstan's node agents and joining nodes need, as kubeadm sets them up.
func DefaultPolicy() Policy {
	ctrlRoles, ctrlBindings := controllerPolicy()
	p := Policy{ClusterRoles: append(append(userFacingRoles(), systemRoles()...), ctrlRoles...)}
	p.ClusterRoleBindings = append(componentBindings(), ctrlBindings...)
	// Anyone may read kube-public/cluster-info to find the cluster's CA.
	info := rbacv1.Role{ObjectMeta: objectMeta("capstan:bootstrap-signer-clusterinfo", nil),
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: core(), Resources: []string{"configmaps"}, ResourceNames: []string{"cluster-info"}}}}
	info.Namespace = "kube-public"
	p.Roles = []rbacv1.Role{info}
	rb := rbacv1.RoleBinding{ObjectMeta: info.ObjectMeta, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: info.Name},
		Subjects: []rbacv1.Subject{user("system:anonymous")}}
	p.RoleBindings = []rbacv1.RoleBinding{rb}
	return p
}

// componentBindings bind the roles of users, nodes and components.
func componentBindings() []rbacv1.ClusterRoleBinding {
	return []rbacv1.ClusterRoleBinding{
		clusterBinding("cluster-admin", "cluster-admin", group("system:masters")),
		clusterBinding("system:discovery", "system:discovery", group("system:authenticated")),
		clusterBinding("system:basic-user", "system:basic-user", group("system:authenticated")),
		clusterBinding("system:public-info-viewer", "system:public-info-viewer", group("system:authenticated"), group("system:unauthenticated")),
		clusterBinding("system:node", "system:node"),
		clusterBinding("system:node-proxier", "system:node-proxier", user("system:kube-proxy")),
		clusterBinding("system:kube-dns", "system:kube-dns", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "kube-dns", Namespace: "kube-system"}),
		clusterBinding("system:kube-scheduler", "system:kube-scheduler", user("system:kube-scheduler")),
		clusterBinding("system:volume-scheduler", "system:volume-scheduler", user("system:kube-scheduler")),
		// The cluster DNS runs as CoreDNS's service account, with CoreDNS's role.
		clusterBinding("system:coredns", "system:coredns", serviceAccount("kube-system", "coredns")),
		clusterBinding("system:kube-controller-manager", "system:kube-controller-manager", user("system:kube-controller-manager")),
		// Capstan's agents run the service proxy as system:kube-proxy (the
		// system:node-proxier binding above), not as the node: see
		// RetiredClusterRoleBindings.
		// Joining nodes create CSRs with a bootstrap token, as kubeadm allows.
		clusterBinding("capstan:kubelet-bootstrap", "system:node-bootstrapper", group("system:bootstrappers")),
		clusterBinding("capstan:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", group("system:bootstrappers")),
		clusterBinding("capstan:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", group("system:nodes")),
	}
}

// userFacingRoles are cluster-admin and the aggregated admin, edit and
// view roles with the system:aggregate-to-* roles feeding them.
func userFacingRoles() []rbacv1.ClusterRole {
	to := func(name string) map[string]string { return map[string]string{aggregateTo + name: "true"} }
	return []rbacv1.ClusterRole{
		clusterRole("cluster-admin", nil, rule(all(), all(), "*"), urls(all(), "*")),
		aggregated("admin", "admin", nil),
		aggregated("edit", "edit", to("admin")),
		aggregated("view", "view", to("edit")),
		clusterRole("system:aggregate-to-admin", to("admin"),
			rule([]string{"create"}, []string{"authorization.k8s.io"}, "localsubjectaccessreviews"),
			rule(append([]string{"get", "list", "watch"}, write()...), []string{rbacv1.GroupName}, "roles", "rolebindings")),
		clusterRole("system:aggregate-to-edit", to("edit"), editRules()...),
		clusterRole("system:aggregate-to-view", to("view"), viewRules()...),
	}
}

func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(read(), core(), "pods", "pods/status", "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status",
			"services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps",
			"serviceaccounts", "limitranges", "resourcequotas", "resourcequotas/status", "bindings", "events", "pods/log",
			"namespaces", "namespaces/status"),
		rule(read(), []string{"discovery.k8s.io"}, "endpointslices"),
		rule(read(), []string{"apps"}, "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
			"deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"),
		rule(read(), []string{"autoscaling"}, "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		rule(read(), []string{"batch"}, "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
		rule(read(), []string{"policy"}, "poddisruptionbudgets", "poddisruptionbudgets/status"),
		rule(read(), []string{"networking.k8s.io"}, "ingresses", "ingresses/status", "networkpolicies"),
	}
}

func editRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(read(), core(), "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"),
		rule([]string{"impersonate"}, core(), "serviceaccounts"),
		rule(write(), core(), "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"),
		rule([]string{"create"}, core(), "pods/eviction", "serviceaccounts/token"),
		rule(write(), core(), "configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
			"secrets", "serviceaccounts", "services", "services/proxy"),
		rule(write(), []string{"apps"}, "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
			"replicasets/scale", "statefulsets", "statefulsets/scale"),
		rule(write(), []string{"autoscaling"}, "horizontalpodautoscalers"),
		rule(write(), []string{"batch"}, "cronjobs", "jobs"),
		rule(write(), []string{"policy"}, "poddisruptionbudgets"),
		rule(write(), []string{"networking.k8s.io"}, "ingresses", "networkpolicies"),
		rule(write(), []string{"discovery.k8s.io"}, "endpointslices"),
	}
}

// systemRoles are the system:* roles of components and nodes.
func systemRoles() []rbacv1.ClusterRole {
	get := []string{"get"}
	create := []string{"create"}
	events := rule([]string{"create", "patch", "update"}, []string{"", "events.k8s.io"}, "events")
	csr := []string{"certificates.k8s.io"}
	return []rbacv1.ClusterRole{
		clusterRole("system:discovery", nil, urls(get, "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")),
		clusterRole("system:basic-user", nil,
			rule(create, []string{"authorization.k8s.io"}, "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			rule(create, []string{"authentication.k8s.io"}, "selfsubjectreviews")),
		clusterRole("system:public-info-viewer", nil, urls(get, "/healthz", "/livez", "/readyz", "/version", "/version/")),
		clusterRole("system:node-bootstrapper", nil, rule([]string{"create", "get", "list", "watch"}, csr, "certificatesigningrequests")),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", nil, rule(create, csr, "certificatesigningrequests/nodeclient")),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", nil, rule(create, csr, "certificatesigningrequests/selfnodeclient")),
		clusterRole("system:node", nil, append(nodeRules(),
			rule(write(), core(), "nodes", "nodes/status", "pods/status"),
			rule([]string{"delete"}, core(), "pods"),
			rule([]string{"get", "create", "update", "patch", "delete"}, []string{"coordination.k8s.io"}, "leases"),
			rule(get, core(), "secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes"),
			rule(create, core(), "serviceaccounts/token"))...),
		clusterRole("system:node-proxier", nil,
			rule([]string{"list", "watch"}, core(), "endpoints", "services"),
			rule(read(), core(), "nodes"),
			rule([]string{"list", "watch"}, []string{"discovery.k8s.io"}, "endpointslices"),
			events),
		clusterRole("system:kube-dns", nil, rule([]string{"list", "watch"}, core(), "endpoints", "services")),
		// CoreDNS's own role (from its Kubernetes manifest), which Capstan's
		// cluster DNS runs with.
		clusterRole("system:coredns", nil,
			rule([]string{"list", "watch"}, core(), "endpoints", "services", "pods", "namespaces"),
			rule([]string{"list", "watch"}, []string{"discovery.k8s.io"}, "endpointslices")),
		clusterRole("system:volume-scheduler", nil,
			rule([]string{"get", "list", "watch", "patch", "update"}, core(), "persistentvolumes"),
			rule(read(), []string{"storage.k8s.io"}, "storageclasses"),
			rule([]string{"get", "list", "watch", "patch", "update"}, core(), "persistentvolumeclaims")),
		clusterRole("system:kube-scheduler", nil,
			events,
			rule([]string{"create"}, []string{"coordination.k8s.io"}, "leases"),
			rule([]string{"get", "update"}, []string{"coordination.k8s.io"}, "leases"),
			rule(read(), core(), "nodes", "namespaces", "pods", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers", "services"),
			rule([]string{"delete", "get", "list", "watch"}, core(), "pods"),
			rule(create, core(), "bindings", "pods/binding"),
			rule([]string{"patch", "update"}, core(), "pods/status"),
			rule(read(), []string{"apps"}, "replicasets", "statefulsets"),
			rule(read(), []string{"policy"}, "poddisruptionbudgets"),
			rule(read(), []string{"storage.k8s.io"}, "storageclasses", "csinodes", "csidrivers", "csistoragecapacities")),
		clusterRole("system:kube-controller-manager", nil,
			events,
			rule([]string{"create"}, []string{"coordination.k8s.io"}, "leases"),
			rule([]string{"get", "update"}, []string{"coordination.k8s.io"}, "leases"),
			rule(create, []string{"authentication.k8s.io"}, "tokenreviews"),
			rule(create, []string{"authorization.k8s.io"}, "subjectaccessreviews"),
			// The shared informers list and watch everything; each
			// controller's own reads and writes go through its identity.
			rule([]string{"list", "watch"}, all(), "*"),
			rule([]string{"get"}, core(), "endpoints", "namespaces", "secrets", "serviceaccounts"),
			rule([]string{"create", "update"}, core(), "endpoints", "secrets", "serviceaccounts"),
			rule([]string{"delete"}, core(), "secrets"),
			rule(create, core(), "serviceaccounts/token")),
	}
}

// RetiredClusterRoleBindings names the bindings earlier Capstan versions
// put in the default policy and this one no longer grants. Reconciling
// only adds, so a server deletes them at start (DeleteRetired).
//
// capstan:node-proxier bound system:node-proxier to group system:nodes
// while agents ran the service proxy as the node; the proxy now has its own
// identity, system:kube-proxy, and nodes need nothing from that role that
// system:node does not grant.
func RetiredClusterRoleBindings() []string {
	return []string{"capstan:node-proxier"}
}

// DeleteRetired deletes the retired default bindings still present, unless
// an operator took one over (annotation autoupdate=false, or the
// bootstrapping label removed).
func DeleteRetired(ctx context.Context, cs kubernetes.Interface) error {
	crbs := cs.RbacV1().ClusterRoleBindings()
	for _, name := range RetiredClusterRoleBindings() {
		cur, err := crbs.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("get retired ClusterRoleBinding %s: %w", name, err)
		}
		if cur.Annotations[autoUpdateAnnotation] == "false" || cur.Labels[bootstrappingLabel] != "rbac-defaults" {
			continue
		}
		err = crbs.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete retired ClusterRoleBinding %s: %w", name, err)
		}
	}
	return nil
}
