package authz

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestDeleteRetired checks that an upgraded cluster loses the retired
// capstan:node-proxier binding unless an operator took it over, and that
// the current default policy does not grant it again.
func TestDeleteRetired(t *testing.T) {
	retired := func(mutate func(*rbacv1.ClusterRoleBinding)) *rbacv1.ClusterRoleBinding {
		b := clusterBinding("capstan:node-proxier", "system:node-proxier", group("system:nodes"))
		mutate(&b)
		return &b
	}
	for _, tc := range []struct {
		name     string
		existing *rbacv1.ClusterRoleBinding
		kept     bool
	}{
		{"left by an older version", retired(func(*rbacv1.ClusterRoleBinding) {}), false},
		{"pinned by an operator", retired(func(b *rbacv1.ClusterRoleBinding) { b.Annotations[autoUpdateAnnotation] = "false" }), true},
		{"not a default any more", retired(func(b *rbacv1.ClusterRoleBinding) { delete(b.Labels, bootstrappingLabel) }), true},
		{"absent", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cs := fake.NewClientset()
			if tc.existing != nil {
				cs = fake.NewClientset(tc.existing)
			}
			if err := ReconcileDefaults(ctx, cs, DefaultPolicy()); err != nil {
				t.Fatal(err)
			}
			if err := DeleteRetired(ctx, cs); err != nil {
				t.Fatal(err)
			}
			_, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, "capstan:node-proxier", metav1.GetOptions{})
			if kept := err == nil; kept != tc.kept {
				t.Errorf("binding kept = %v (%v), want %v", kept, err, tc.kept)
			}
			if !tc.kept && !apierrors.IsNotFound(err) {
				t.Errorf("get = %v, want not found", err)
			}
			if _, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, "system:node-proxier", metav1.GetOptions{}); err != nil {
				t.Errorf("system:node-proxier binding of system:kube-proxy: %v", err)
			}
		})
	}
}

// TestNoDefaultBindsNodesToProxier guards against granting the proxy's
// role to every node again.
func TestNoDefaultBindsNodesToProxier(t *testing.T) {
	for _, b := range DefaultPolicy().ClusterRoleBindings {
		for _, name := range RetiredClusterRoleBindings() {
			if b.Name == name {
				t.Errorf("retired binding %s is in the default policy", name)
			}
		}
		if b.RoleRef.Name != "system:node-proxier" {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind != rbacv1.UserKind || s.Name != "system:kube-proxy" {
				t.Errorf("binding %s grants system:node-proxier to %s %s", b.Name, s.Kind, s.Name)
			}
		}
	}
}
