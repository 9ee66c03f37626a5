package fieldmanager

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func newDeployment() *appsv1.Deployment {
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
			},
		},
	}
}

func TestUpdate(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	// created is a Deployment as stored after a create by "kubectl-create".
	created, err := m.Update(ctx, deployGVK, nil, newDeployment(), "kubectl-create", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		mutate      func(*appsv1.Deployment)
		manager     string
		subresource string
		want        map[string][]string // entry -> field path that must be owned
		notWant     map[string][]string // entry -> field path that must not be owned
		wantEntries int                 // -1: do not check
	}{{
		name:        "create records an Update entry",
		mutate:      func(*appsv1.Deployment) {},
		manager:     "kubectl-create",
		want:        map[string][]string{"kubectl-create/Update": {"f:spec", "f:replicas"}},
		notWant:     map[string][]string{"kubectl-create/Update": {"f:status"}},
		wantEntries: 1,
	}, {
		name:        "update takes changed fields from their owner",
		mutate:      func(d *appsv1.Deployment) { two := int32(2); d.Spec.Replicas = &two },
		manager:     "kubectl-edit",
		want:        map[string][]string{"kubectl-edit/Update": {"f:spec", "f:replicas"}, "kubectl-create/Update": {"f:spec", "f:template"}},
		notWant:     map[string][]string{"kubectl-create/Update": {"f:spec", "f:replicas"}},
		wantEntries: 2,
	}, {
		name:        "update without changes adds no entry",
		mutate:      func(*appsv1.Deployment) {},
		manager:     "kubectl-edit",
		wantEntries: 1,
	}, {
		name:        "status subresource owns only status",
		mutate:      func(d *appsv1.Deployment) { d.Status.Replicas = 1; d.Labels["x"] = "y" },
		manager:     "kube-controller-manager",
		subresource: "status",
		want:        map[string][]string{"kube-controller-manager/Update/status": {"f:status", "f:replicas"}},
		notWant:     map[string][]string{"kube-controller-manager/Update/status": {"f:metadata"}},
		wantEntries: 2,
	}, {
		name:        "main resource does not own status",
		mutate:      func(d *appsv1.Deployment) { d.Status.Replicas = 1; d.Labels["x"] = "y" },
		manager:     "kubectl-edit",
		want:        map[string][]string{"kubectl-edit/Update": {"f:metadata", "f:labels", "f:x"}},
		notWant:     map[string][]string{"kubectl-edit/Update": {"f:status"}},
		wantEntries: 2,
	}, {
		name:        "client reset clears managedFields",
		mutate:      func(d *appsv1.Deployment) { d.ManagedFields = []metav1.ManagedFieldsEntry{} },
		manager:     "kubectl-edit",
		wantEntries: 0,
	}, {
		name:        "client reset with one empty entry clears managedFields",
		mutate:      func(d *appsv1.Deployment) { d.ManagedFields = []metav1.ManagedFieldsEntry{{}} },
		manager:     "kubectl-edit",
		wantEntries: 0,
	}, {
		name:        "client dropping managedFields keeps the stored ones",
		mutate:      func(d *appsv1.Deployment) { d.ManagedFields = nil; d.Labels["x"] = "y" },
		manager:     "kubectl-edit",
		want:        map[string][]string{"kubectl-create/Update": {"f:spec"}, "kubectl-edit/Update": {"f:metadata", "f:labels", "f:x"}},
		wantEntries: 2,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := created.DeepCopyObject().(*appsv1.Deployment)
			next := cur.DeepCopy()
			tt.mutate(next)
			var got runtime.Object
			var err error
			if tt.name == "create records an Update entry" {
				got = cur
			} else if got, err = m.Update(ctx, deployGVK, cur, next, tt.manager, tt.subresource); err != nil {
				t.Fatal(err)
			}
			own := ownership(t, got)
			if tt.wantEntries >= 0 && len(own) != tt.wantEntries {
				t.Errorf("got %d entries, want %d: %v", len(own), tt.wantEntries, own)
			}
			for entry, path := range tt.want {
				if !fieldsHas(own[entry], path...) {
					t.Errorf("%s does not own %v: %v", entry, path, own)
				}
			}
			for entry, path := range tt.notWant {
				if fieldsHas(own[entry], path...) {
					t.Errorf("%s owns %v: %v", entry, path, own)
				}
			}
		})
	}
}

func TestUpdateAfterResetStaysUntracked(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	cur, err := m.Update(ctx, deployGVK, nil, newDeployment(), "create", "")
	if err != nil {
		t.Fatal(err)
	}
	next := cur.DeepCopyObject().(*appsv1.Deployment)
	next.ManagedFields = []metav1.ManagedFieldsEntry{}
	if cur, err = m.Update(ctx, deployGVK, cur, next, "edit", ""); err != nil {
		t.Fatal(err)
	}
	next = cur.DeepCopyObject().(*appsv1.Deployment)
	next.Labels["x"] = "y"
	got, err := m.Update(ctx, deployGVK, cur, next, "edit", "")
	if err != nil {
		t.Fatal(err)
	}
	if mf := got.(*appsv1.Deployment).ManagedFields; mf != nil {
		t.Errorf("untracked object got managedFields %v", mf)
	}
}

func TestUpdateCapsUpdaters(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	cur := runtime.Object(nil)
	next := runtime.Object(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{}})
	for i := 0; i < 13; i++ {
		next.(*corev1.ConfigMap).Data[fmt.Sprint("k", i)] = "v"
		got, err := m.Update(ctx, cmGVK, cur, next, fmt.Sprint("writer-", i), "")
		if err != nil {
			t.Fatal(err)
		}
		cur, next = got, got.DeepCopyObject()
	}
	own := ownership(t, cur)
	if len(own) != defaultMaxUpdateManagers {
		t.Fatalf("got %d entries, want %d: %v", len(own), defaultMaxUpdateManagers, own)
	}
	if !fieldsHas(own["ancient-changes/Update"], "f:data", "f:k0") || !fieldsHas(own["writer-12/Update"], "f:data", "f:k12") {
		t.Errorf("managedFields = %v", own)
	}
}

func BenchmarkApplyDeployment(b *testing.B) {
	m := testManager(b)
	ctx := context.Background()
	cur, err := m.Apply(ctx, deployGVK, nil, []byte(deployYAML("replicas: 3")), "kubectl", false)
	if err != nil {
		b.Fatal(err)
	}
	patch := []byte(deployYAML("replicas: 4"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Apply(ctx, deployGVK, cur, patch, "kubectl", false); err != nil {
			b.Fatal(err)
		}
	}
}
