package authz

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestReconcileDefaults(t *testing.T) {
	ctx := context.Background()
	stale := testClusterRole("system:discovery", urls([]string{"get"}, "/api"))
	stale.Annotations = map[string]string{autoUpdateAnnotation: "true"}
	pinned := testClusterRole("system:basic-user")
	pinned.Annotations = map[string]string{autoUpdateAnnotation: "false"}
	extra := testCRB("cluster-admin", "cluster-admin", user("ops"))
	cs := fake.NewClientset(stale, pinned, extra)
	p := DefaultPolicy()
	if err := ReconcileDefaults(ctx, cs, p); err != nil {
		t.Fatal(err)
	}
	rbac := cs.RbacV1()
	got, err := rbac.ClusterRoles().Get(ctx, "system:discovery", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(missingRules(got.Rules, systemRoles()[0].Rules)) != 0 || got.Rules[0].NonResourceURLs[0] != "/api" || got.Labels[bootstrappingLabel] != "rbac-defaults" {
		t.Errorf("auto-update role not completed: %+v", got)
	}
	if got, _ := rbac.ClusterRoles().Get(ctx, "system:basic-user", metav1.GetOptions{}); len(got.Rules) != 0 {
		t.Errorf("autoupdate=false role changed: %+v", got.Rules)
	}
	crb, _ := rbac.ClusterRoleBindings().Get(ctx, "cluster-admin", metav1.GetOptions{})
	if len(crb.Subjects) != 2 || crb.Subjects[0].Name != "ops" || crb.Subjects[1].Name != "system:masters" {
		t.Errorf("cluster-admin subjects = %+v, want ops kept and system:masters added", crb.Subjects)
	}
	for _, name := range []string{"view", "system:node-proxier", "capstan:kubelet-bootstrap"} {
		if _, err := rbac.ClusterRoles().Get(ctx, name, metav1.GetOptions{}); err != nil {
			if _, err2 := rbac.ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{}); err2 != nil {
				t.Errorf("%s not created: %v", name, err)
			}
		}
	}
	if _, err := rbac.RoleBindings("kube-public").Get(ctx, "capstan:bootstrap-signer-clusterinfo", metav1.GetOptions{}); err != nil {
		t.Errorf("cluster-info binding: %v", err)
	}
	// A second pass changes nothing.
	before := len(cs.Actions())
	if err := ReconcileDefaults(ctx, cs, p); err != nil {
		t.Fatal(err)
	}
	for _, a := range cs.Actions()[before:] {
		if a.GetVerb() != "get" {
			t.Errorf("second reconcile wrote: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
}
