package authz

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// ControllerRolePrefix names the ClusterRole of each controller identity:
// system:controller:<service account>, bound to the ServiceAccount
// kube-system/<service account>, as upstream's controller roles.
const ControllerRolePrefix = "system:controller:"

// controllerRole is one controller's service account and what it may do.
type controllerRole struct {
	sa    string
	rules []rbacv1.PolicyRule
}

// controllerRoles are the roles of the controllers Capstan's controller
// manager runs, each under its own service account (upstream's
// --use-service-account-credentials). The rules are upstream's for the
// controllers upstream has, plus what Capstan's implementation of them
// calls that upstream's does not (noted per rule); servicelb and
// node-ipam-controller are Capstan's own.
func controllerRoles() []controllerRole {
	return append(clusterControllerRoles(), workloadControllerRoles()...)
}

// workloadControllerRoles are the roles of the controllers of workloads:
// Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and the like.
func workloadControllerRoles() []controllerRole {
	crud := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	upd := []string{"update"}
	apps, batch := []string{"apps"}, []string{"batch"}
	ev := eventsRule()
	return []controllerRole{
		{"cronjob-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "update"}, batch, "cronjobs"),
			rule(crud, batch, "jobs"),
			rule(upd, batch, "cronjobs/status", "cronjobs/finalizers"),
			rule([]string{"list", "watch", "delete"}, core(), "pods"), ev}},
		{"daemon-set-controller", []rbacv1.PolicyRule{
			rule(read(), apps, "daemonsets"),
			rule(upd, apps, "daemonsets/status", "daemonsets/finalizers"),
			rule(read(), core(), "nodes"),
			rule([]string{"list", "watch", "create", "delete", "patch"}, core(), "pods"),
			rule([]string{"create"}, core(), "pods/binding"),
			rule(crud, apps, "controllerrevisions"), ev}},
		{"deployment-controller", []rbacv1.PolicyRule{
			// patch: Capstan records rollbacks and progress with a merge patch.
			rule([]string{"get", "list", "watch", "update", "patch"}, apps, "deployments"),
			rule(upd, apps, "deployments/status", "deployments/finalizers"),
			rule(crud, apps, "replicasets"),
			rule([]string{"get", "list", "watch", "update"}, core(), "pods"), ev}},
		{"disruption-controller", []rbacv1.PolicyRule{
			rule(read(), apps, "deployments", "replicasets", "statefulsets"),
			rule(read(), core(), "replicationcontrollers"),
			rule(read(), []string{"policy"}, "poddisruptionbudgets"),
			rule(upd, []string{"policy"}, "poddisruptionbudgets/status"),
			rule([]string{"patch", "update"}, core(), "pods/status"),
			rule([]string{"get"}, all(), "*/scale"), ev}},
		{"job-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "update", "patch"}, batch, "jobs"),
			rule(upd, batch, "jobs/status", "jobs/finalizers"),
			// get: Capstan re-reads a pod before removing its tracking finalizer.
			rule([]string{"get", "list", "watch", "create", "delete", "patch"}, core(), "pods"), ev}},
		{"replicaset-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "update"}, apps, "replicasets"),
			rule(upd, apps, "replicasets/status", "replicasets/finalizers"),
			rule([]string{"list", "watch", "patch", "create", "delete"}, core(), "pods"), ev}},
		{"replication-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "update"}, core(), "replicationcontrollers"),
			rule(upd, core(), "replicationcontrollers/status", "replicationcontrollers/finalizers"),
			rule([]string{"list", "watch", "patch", "create", "delete"}, core(), "pods"), ev}},
		{"statefulset-controller", []rbacv1.PolicyRule{
			rule([]string{"list", "watch"}, core(), "pods"),
			rule(read(), apps, "statefulsets"),
			rule(upd, apps, "statefulsets/status", "statefulsets/finalizers"),
			rule([]string{"get", "create", "delete", "update", "patch"}, core(), "pods"),
			rule(crud, apps, "controllerrevisions"),
			rule([]string{"get", "list", "watch", "create", "update", "delete"}, core(), "persistentvolumeclaims"),
			rule(upd, core(), "pods/finalizers"), ev}},
		{"ttl-after-finished-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "delete"}, batch, "jobs"), ev}},
	}
}

// clusterControllerRoles are the roles of the other controllers: nodes,
// namespaces, services, garbage collection, certificates, RBAC.
func clusterControllerRoles() []controllerRole {
	upd := []string{"update"}
	ev := eventsRule()
	return []controllerRole{
		{"clusterrole-aggregation-controller", []rbacv1.PolicyRule{
			rule([]string{"escalate", "get", "list", "watch", "update", "patch"}, []string{rbacv1.GroupName}, "clusterroles")}},
		{"endpoint-controller", []rbacv1.PolicyRule{
			rule(read(), core(), "services", "pods"),
			rule([]string{"get", "list", "watch", "create", "update", "delete"}, core(), "endpoints"),
			rule([]string{"create"}, core(), "endpoints/restricted"), ev}},
		{"endpointslice-controller", []rbacv1.PolicyRule{
			rule(read(), core(), "services", "pods", "nodes"),
			rule(upd, core(), "services/finalizers"),
			rule([]string{"get", "list", "watch", "create", "update", "delete"}, []string{"discovery.k8s.io"}, "endpointslices"), ev}},
		{"endpointslicemirroring-controller", []rbacv1.PolicyRule{
			rule(read(), core(), "services", "endpoints"),
			rule(upd, core(), "services/finalizers", "endpoints/finalizers"),
			rule([]string{"get", "list", "watch", "create", "update", "delete"}, []string{"discovery.k8s.io"}, "endpointslices"), ev}},
		{"generic-garbage-collector", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "patch", "update", "delete"}, all(), "*"), ev}},
		{"namespace-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "delete"}, core(), "namespaces"),
			rule(upd, core(), "namespaces/finalize", "namespaces/status"),
			rule([]string{"get", "list", "watch", "delete", "deletecollection"}, all(), "*")}},
		{"node-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "update", "delete", "patch"}, core(), "nodes"),
			rule([]string{"patch", "update"}, core(), "nodes/status", "pods/status"),
			rule([]string{"get", "list", "watch", "delete"}, core(), "pods"), ev}},
		// Capstan's node IPAM gives each node a pod CIDR by patching its spec.
		{"node-ipam-controller", []rbacv1.PolicyRule{
			rule([]string{"get", "list", "watch", "patch", "update"}, core(), "nodes"),
			rule([]string{"patch", "update"}, core(), "nodes/status"), ev}},
		{"pod-garbage-collector", []rbacv1.PolicyRule{
			rule([]string{"list", "watch", "delete"}, core(), "pods"),
			rule(read(), core(), "nodes"),
			// update: Capstan marks the pod failed with an UpdateStatus.
			rule([]string{"patch", "update"}, core(), "pods/status")}},
		{"resourcequota-controller", []rbacv1.PolicyRule{
			rule([]string{"list", "watch"}, all(), "*"),
			rule(upd, core(), "resourcequotas/status"), ev}},
		{"root-ca-cert-publisher", []rbacv1.PolicyRule{
			rule([]string{"create", "update"}, core(), "configmaps"), ev}},
		{"service-account-controller", []rbacv1.PolicyRule{
			rule([]string{"create"}, core(), "serviceaccounts"), ev}},
		// Capstan's service load balancer writes the ingress addresses of
		// LoadBalancer Services from the nodes' addresses.
		{"servicelb-controller", []rbacv1.PolicyRule{
			rule(read(), core(), "services", "nodes"),
			rule([]string{"patch", "update"}, core(), "services/status"), ev}},
		{"certificate-controller", certificateControllerRules(ev)},
	}
}

func certificateControllerRules(ev rbacv1.PolicyRule) []rbacv1.PolicyRule {
	csr := []string{"certificates.k8s.io"}
	approve := rule([]string{"approve"}, csr, "signers")
	approve.ResourceNames = []string{"kubernetes.io/kube-apiserver-client-kubelet"}
	sign := rule([]string{"sign"}, csr, "signers")
	sign.ResourceNames = []string{"kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-client",
		"kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving"}
	return []rbacv1.PolicyRule{
		rule([]string{"get", "list", "watch", "delete"}, csr, "certificatesigningrequests"),
		rule([]string{"update"}, csr, "certificatesigningrequests/status", "certificatesigningrequests/approval"),
		approve, sign,
		rule([]string{"create"}, []string{"authorization.k8s.io"}, "subjectaccessreviews"),
		ev,
	}
}

// ControllerServiceAccounts lists the service accounts (in kube-system)
// that have a controller role in the default policy.
func ControllerServiceAccounts() []string {
	var out []string
	for _, r := range controllerRoles() {
		out = append(out, r.sa)
	}
	return out
}

// controllerPolicy returns the controller roles and their bindings to the
// ServiceAccounts kube-system/<name>.
func controllerPolicy() ([]rbacv1.ClusterRole, []rbacv1.ClusterRoleBinding) {
	var roles []rbacv1.ClusterRole
	var bindings []rbacv1.ClusterRoleBinding
	for _, r := range controllerRoles() {
		name := ControllerRolePrefix + r.sa
		roles = append(roles, clusterRole(name, nil, r.rules...))
		bindings = append(bindings, clusterBinding(name, name, serviceAccount("kube-system", r.sa)))
	}
	return roles, bindings
}

// eventsRule lets a component record events through either events API.
func eventsRule() rbacv1.PolicyRule {
	return rule([]string{"create", "update", "patch"}, []string{"", "events.k8s.io"}, "events")
}

func serviceAccount(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}
