package fieldmanager

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var podGVK = corev1.SchemeGroupVersion.WithKind("Pod")

// benchPod is a pod as a controller creates it: labels, owner, one
// container with ports, env, resources and a probe.
func benchPod(i int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "default",
			Labels: map[string]string{"app": "web", "pod-template-hash": "abc"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1.0",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Env:   []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/healthz", Port: intstr.FromString("http")}}},
		}}},
	}
}

// BenchmarkUpdate records managed fields of a pod create (the API
// server's hottest write), of a label change by another manager and of a
// status update.
func BenchmarkUpdate(b *testing.B) {
	m := testManager(b)
	ctx := context.Background()
	created, err := m.Update(ctx, podGVK, nil, benchPod(0), "kube-controller-manager", "")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		run  func() (runtime.Object, error)
	}{
		{"create", func() (runtime.Object, error) {
			return m.Update(ctx, podGVK, nil, benchPod(1), "kube-controller-manager", "")
		}},
		{"update", func() (runtime.Object, error) {
			next := created.DeepCopyObject().(*corev1.Pod)
			next.Labels["tier"] = "front"
			return m.Update(ctx, podGVK, created, next, "kubectl-label", "")
		}},
		{"status", func() (runtime.Object, error) {
			next := created.DeepCopyObject().(*corev1.Pod)
			next.Status.Phase = corev1.PodRunning
			return m.Update(ctx, podGVK, created, next, "kubelet", "status")
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
