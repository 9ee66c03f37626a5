package authz

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apiserver"
)

// newTestChain is a chain over objs, without feeds.
func newTestChain(objs ...runtime.Object) *Chain {
	c := New(Config{Source: nil})
	for _, o := range objs {
		c.rbac.idx.set(o)
		c.graph.set(o)
	}
	return c
}

func testRole(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func testClusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func testRB(ns, name, kind, role string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: subjects}
}

func testCRB(name, role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func as(name string, groups ...string) apiserver.User {
	return apiserver.User{Name: name, Groups: groups}
}

func withUser(a apiserver.Attributes, u apiserver.User) apiserver.Attributes {
	a.User = u
	return a
}

func TestRBACAuthorize(t *testing.T) {
	podReader := rule([]string{"get", "list"}, core(), "pods")
	c := newTestChain(
		testClusterRole("pod-reader", podReader),
		testRole("team", "cm-writer", rule([]string{"update"}, core(), "configmaps")),
		testCRB("readers", "pod-reader", group("readers")),
		testRB("team", "alice-cm", "Role", "cm-writer", user("alice")),
		testRB("team", "sa-pods", "ClusterRole", "pod-reader", rbacv1.Subject{Kind: "ServiceAccount", Name: "builder"}),
		testRB("team", "dangling", "Role", "missing", user("carol")),
	)
	tests := []struct {
		name       string
		a          apiserver.Attributes
		want       bool
		wantReason string
	}{
		{"group via cluster binding", withUser(res("list", "", "pods", "", "any", ""), as("bob", "readers")), true,
			`RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "readers"`},
		{"role binding in its namespace", withUser(res("update", "", "configmaps", "", "team", "c"), as("alice")), true,
			`RBAC: allowed by RoleBinding "alice-cm/team" of Role "cm-writer" to User "alice"`},
		{"role binding not elsewhere", withUser(res("update", "", "configmaps", "", "other", "c"), as("alice")), false, ""},
		{"role binding not cluster wide", withUser(res("update", "", "configmaps", "", "", "c"), as("alice")), false, ""},
		{"service account defaulted to binding namespace", withUser(res("get", "", "pods", "", "team", "p"), as("system:serviceaccount:team:builder")), true,
			`RBAC: allowed by RoleBinding "sa-pods/team" of ClusterRole "pod-reader" to ServiceAccount "builder/team"`},
		{"service account of other namespace", withUser(res("get", "", "pods", "", "team", "p"), as("system:serviceaccount:other:builder")), false, ""},
		{"no binding", withUser(res("get", "", "pods", "", "team", "p"), as("mallory")), false, ""},
		{"missing role", withUser(res("get", "", "pods", "", "team", "p"), as("carol")), false, `RBAC: role.rbac.authorization.k8s.io "missing" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason, err := c.Authorize(context.Background(), tt.a)
			if err != nil || ok != tt.want || reason != tt.wantReason {
				t.Errorf("Authorize = %v, %q, %v; want %v, %q", ok, reason, err, tt.want, tt.wantReason)
			}
		})
	}
}

func TestIndexUpdatesAndRemovals(t *testing.T) {
	c := newTestChain(testClusterRole("r", rule([]string{"get"}, core(), "pods")), testCRB("b", "r", user("alice")))
	a := withUser(res("get", "", "pods", "", "ns", "p"), as("alice"))
	check := func(want bool) {
		t.Helper()
		if ok, _, _ := c.Authorize(context.Background(), a); ok != want {
			t.Fatalf("allowed = %v, want %v", ok, want)
		}
	}
	check(true)
	c.rbac.idx.set(testCRB("b", "r", user("bob"))) // subjects changed
	check(false)
	c.rbac.idx.set(testCRB("b", "r", user("alice")))
	check(true)
	c.rbac.idx.remove(testClusterRole("r"))
	check(false)
	c.rbac.idx.set(testClusterRole("r", rule([]string{"get"}, core(), "pods")))
	c.rbac.idx.remove(testCRB("b", "r"))
	check(false)
}

func TestMastersAndAnonymous(t *testing.T) {
	c := newTestChain(testRole("kube-public", "info", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: core(), Resources: []string{"configmaps"}, ResourceNames: []string{"cluster-info"}}),
		testRB("kube-public", "info", "Role", "info", user("system:anonymous")))
	tests := []struct {
		a    apiserver.Attributes
		want bool
	}{
		{withUser(res("delete", "", "nodes", "", "", "n"), as("root", "system:masters")), true},
		{res("get", "", "configmaps", "", "kube-public", "cluster-info"), true},
		{res("get", "", "configmaps", "", "kube-public", "other"), false},
	}
	for _, tt := range tests {
		if ok, _, _ := c.Authorize(context.Background(), tt.a); ok != tt.want {
			t.Errorf("%+v: allowed = %v, want %v", tt.a, ok, tt.want)
		}
	}
}

func TestRulesReview(t *testing.T) {
	c := newTestChain(testClusterRole("r", rule([]string{"get"}, core(), "pods"), urls([]string{"get"}, "/healthz")),
		testCRB("b", "r", group("devs")), testRB("ns", "x", "Role", "gone", user("dave")))
	res, nonRes, incomplete, err := c.Rules(context.Background(), as("dave", "devs"), "ns")
	if len(res) != 1 || res[0].Resources[0] != "pods" || len(nonRes) != 1 || nonRes[0].NonResourceURLs[0] != "/healthz" {
		t.Errorf("rules = %+v %+v", res, nonRes)
	}
	if !incomplete || err == nil || !strings.Contains(err.Error(), `"gone" not found`) {
		t.Errorf("incomplete = %v, err = %v; want incomplete with the missing role", incomplete, err)
	}
	nodeRes, _, _, _ := c.Rules(context.Background(), as("system:node:n1", "system:nodes"), "ns")
	if len(nodeRes) != len(nodeRules()) {
		t.Errorf("node rules = %d, want %d", len(nodeRes), len(nodeRules()))
	}
}

func TestNodeAuthorizer(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"}, Spec: corev1.PodSpec{NodeName: "n1", ServiceAccountName: "sa",
		Volumes: []corev1.Volume{
			{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
			{Name: "c", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
			{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}}}}}}},
		},
		Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}}}}}}
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv1"}}
	c := newTestChain(pod, claim)
	n1, n2 := as("system:node:n1", "system:nodes", "system:authenticated"), as("system:node:n2", "system:nodes", "system:authenticated")
	noRel := "no relationship found between node 'n2' and this object"
	tests := []struct {
		name       string
		a          apiserver.Attributes
		want       bool
		wantReason string
	}{
		{"list pods", withUser(res("list", "", "pods", "", "", ""), n2), true, ""},
		{"own node status", withUser(res("patch", "", "nodes", "status", "", "n1"), n1), true, ""},
		{"other node", withUser(res("update", "", "nodes", "", "", "n1"), n2), false, `node "n2" is not allowed to modify node "n1"`},
		{"create node", withUser(res("create", "", "nodes", "", "", ""), n2), true, ""},
		{"own lease", withUser(res("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "n1"), n1), true, ""},
		{"other lease", withUser(res("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "n1"), n2), false, "can only access node lease with the same name as the requesting node"},
		{"bound pod status", withUser(res("patch", "", "pods", "status", "ns", "web"), n1), true, ""},
		{"foreign pod status", withUser(res("patch", "", "pods", "status", "ns", "web"), n2), false, noRel},
		{"delete bound pod", withUser(res("delete", "", "pods", "", "ns", "web"), n1), true, ""},
		{"delete foreign pod", withUser(res("delete", "", "pods", "", "ns", "web"), n2), false, noRel},
		{"referenced secret", withUser(res("get", "", "secrets", "", "ns", "tls"), n1), true, ""},
		{"secret of other node's pod", withUser(res("get", "", "secrets", "", "ns", "tls"), n2), false, noRel},
		{"unreferenced secret", withUser(res("get", "", "secrets", "", "ns", "other"), n1), false, "no relationship found between node 'n1' and this object"},
		{"list secrets", withUser(res("list", "", "secrets", "", "ns", ""), n1), false, ""},
		{"watch one referenced secret", withUser(res("watch", "", "secrets", "", "ns", "tls"), n1), true, ""},
		{"list one referenced configmap", withUser(res("list", "", "configmaps", "", "ns", "settings"), n1), true, ""},
		{"watch one unreferenced secret", withUser(res("watch", "", "secrets", "", "ns", "other"), n1), false, "no relationship found between node 'n1' and this object"},
		{"list one claim", withUser(res("list", "", "persistentvolumeclaims", "", "ns", "data"), n1), false, ""},
		{"projected configmap", withUser(res("get", "", "configmaps", "", "ns", "kube-root-ca.crt"), n1), true, ""},
		{"env configmap", withUser(res("get", "", "configmaps", "", "ns", "settings"), n1), true, ""},
		{"claim", withUser(res("get", "", "persistentvolumeclaims", "", "ns", "data"), n1), true, ""},
		{"volume via claim", withUser(res("get", "", "persistentvolumes", "", "", "pv1"), n1), true, ""},
		{"other volume", withUser(res("get", "", "persistentvolumes", "", "", "pv2"), n1), false, "no relationship found between node 'n1' and this object"},
		{"service account token", withUser(res("create", "", "serviceaccounts", "token", "ns", "sa"), n1), true, ""},
		{"events", withUser(res("create", "events.k8s.io", "events", "", "ns", ""), n2), true, ""},
		{"not a node identity", withUser(res("list", "", "pods", "", "", ""), as("system:node:n1")), false, ""},
		{"deployments fall to RBAC", withUser(res("list", "apps", "deployments", "", "", ""), n1), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason, err := c.Authorize(context.Background(), tt.a)
			if err != nil || ok != tt.want || reason != tt.wantReason {
				t.Errorf("Authorize = %v, %q, %v; want %v, %q", ok, reason, err, tt.want, tt.wantReason)
			}
		})
	}
	// Once the pod is gone, so is the relationship.
	c.graph.remove(pod)
	if ok, _, _ := c.Authorize(context.Background(), withUser(res("get", "", "secrets", "", "ns", "tls"), n1)); ok {
		t.Error("secret still readable after its pod was deleted")
	}
}
