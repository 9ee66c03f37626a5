package authz

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apiserver"
)

// policyChain is a chain holding the whole default policy.
func policyChain() *Chain {
	p := DefaultPolicy()
	var objs []runtime.Object
	for i := range p.ClusterRoles {
		objs = append(objs, &p.ClusterRoles[i])
	}
	for i := range p.ClusterRoleBindings {
		objs = append(objs, &p.ClusterRoleBindings[i])
	}
	return newTestChain(objs...)
}

// TestComponentIdentities checks what the default policy lets the
// in-process components do: each what its work needs, none read secrets.
func TestComponentIdentities(t *testing.T) {
	c := policyChain()
	sa := func(name string) []string {
		return []string{"system:serviceaccount:kube-system:" + name, "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}
	}
	rs, sched, dns := sa("replicaset-controller"), []string{"system:kube-scheduler", "system:authenticated"}, sa("coredns")
	gc, ns, kcm := sa("generic-garbage-collector"), sa("namespace-controller"), []string{"system:kube-controller-manager", "system:authenticated"}
	tests := []struct {
		name string
		who  []string
		a    apiserver.Attributes
		want bool
	}{
		{"replicaset creates pods", rs, res("create", "", "pods", "", "ns", ""), true},
		{"replicaset updates status", rs, res("update", "apps", "replicasets", "status", "ns", "web"), true},
		{"replicaset reads no secrets", rs, res("get", "", "secrets", "", "ns", "s"), false},
		{"replicaset lists no secrets", rs, res("list", "", "secrets", "", "", ""), false},
		{"replicaset deletes no deployments", rs, res("delete", "apps", "deployments", "", "ns", "d"), false},
		{"scheduler binds", sched, res("create", "", "pods", "binding", "ns", "p"), true},
		{"scheduler preempts", sched, res("delete", "", "pods", "", "ns", "p"), true},
		{"scheduler elects", sched, res("update", "coordination.k8s.io", "leases", "", "kube-system", "kube-scheduler"), true},
		{"scheduler reads volumes", sched, res("list", "", "persistentvolumes", "", "", ""), true},
		{"scheduler reads no secrets", sched, res("list", "", "secrets", "", "", ""), false},
		{"dns watches slices", dns, res("watch", "discovery.k8s.io", "endpointslices", "", "", ""), true},
		{"dns lists services", dns, res("list", "", "services", "", "", ""), true},
		{"dns writes nothing", dns, res("update", "", "services", "", "kube-system", "kube-dns"), false},
		{"dns reads no secrets", dns, res("list", "", "secrets", "", "", ""), false},
		{"gc patches anything", gc, res("patch", "apps", "replicasets", "", "ns", "x"), true},
		{"gc creates nothing", gc, res("create", "", "pods", "", "ns", ""), false},
		{"namespace deletes collections", ns, res("deletecollection", "", "configmaps", "", "ns", ""), true},
		{"namespace finalizes", ns, res("update", "", "namespaces", "finalize", "ns", "ns"), true},
		{"manager informers list all", kcm, res("list", "apps", "deployments", "", "", ""), true},
		{"manager records events", kcm, res("create", "events.k8s.io", "events", "", "ns", ""), true},
		{"manager creates no pods", kcm, res("create", "", "pods", "", "ns", ""), false},
		{"manager gets no pods", kcm, res("get", "", "pods", "", "ns", "p"), false},
		{"manager elects", kcm, res("update", "coordination.k8s.io", "leases", "", "kube-system", "kube-controller-manager"), true},
		{"aggregation may escalate roles", sa("clusterrole-aggregation-controller"), res("escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", "view"), true},
		{"node ipam patches nodes", sa("node-ipam-controller"), res("patch", "", "nodes", "", "", "n1"), true},
		{"servicelb writes service status", sa("servicelb-controller"), res("update", "", "services", "status", "ns", "lb"), true},
		{"root ca publisher writes configmaps", sa("root-ca-cert-publisher"), res("create", "", "configmaps", "", "ns", ""), true},
		{"a controller of another namespace is nobody", []string{"system:serviceaccount:default:replicaset-controller", "system:serviceaccounts", "system:authenticated"}, res("create", "", "pods", "", "ns", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason, err := c.Authorize(context.Background(), withUser(tt.a, as(tt.who[0], tt.who[1:]...)))
			if err != nil || ok != tt.want {
				t.Errorf("Authorize = %v (%q, %v), want %v", ok, reason, err, tt.want)
			}
		})
	}
}
