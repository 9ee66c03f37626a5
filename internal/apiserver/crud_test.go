package apiserver_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestConfigMapLifecycle(t *testing.T) {
	for _, proto := range []bool{false, true} {
		t.Run(fmt.Sprintf("protobuf=%v", proto), func(t *testing.T) {
			ctx := context.Background()
			cs := apiservertest.Start(t, nil).Clientset(t, proto)
			cms := cs.CoreV1().ConfigMaps("default")
			created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "cm-"}, Data: map[string]string{"a": "1"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(created.Name) != len("cm-")+5 || created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() {
				t.Fatalf("server-set metadata missing: %+v", created.ObjectMeta)
			}
			stale := created.DeepCopy()
			created.Data["a"] = "2"
			updated, err := cms.Update(ctx, created, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			stale.Data["a"] = "3"
			if _, err := cms.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
				t.Fatalf("stale update: %v, want Conflict", err)
			}
			patches := []struct {
				pt   types.PatchType
				body string
				want string
			}{
				{types.JSONPatchType, `[{"op":"replace","path":"/data/a","value":"j"}]`, "j"},
				{types.MergePatchType, `{"data":{"a":"m"}}`, "m"},
				{types.StrategicMergePatchType, `{"data":{"a":"s"}}`, "s"},
			}
			for _, p := range patches {
				got, err := cms.Patch(ctx, created.Name, p.pt, []byte(p.body), metav1.PatchOptions{})
				if err != nil || got.Data["a"] != p.want {
					t.Fatalf("%s patch: %v %v", p.pt, got.Data, err)
				}
			}
			if err := cms.Delete(ctx, updated.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := cms.Get(ctx, updated.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("get after delete: %v", err)
			}
		})
	}
}

func TestNamespaceRules(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Fatalf("built-in namespace %s: %v", ns, err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	_, err := cs.CoreV1().ConfigMaps("missing").Create(ctx, cm, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) || err.Error() != `namespaces "missing" not found` {
		t.Fatalf("create in missing namespace: %v", err)
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, "default", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("delete default namespace: %v", err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
	if err != nil || ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Fatalf("deleted namespace should be Terminating: %+v %v", ns.Status, err)
	}
	_, err = cs.CoreV1().ConfigMaps("doomed").Create(ctx, cm, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("create in terminating namespace: %v", err)
	}
	ns.Spec.Finalizers = nil
	if _, err := cs.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("finalized namespace still there: %v", err)
	}
}

func TestServiceAllocationUniqueUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, nil).Clientset(t, true)
	const n = 40
	var wg sync.WaitGroup
	ips := make([]string, n)
	ports := make([]int32, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s%d", i)},
				Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}},
			}
			out, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			ips[i], ports[i] = out.Spec.ClusterIP, out.Spec.Ports[0].NodePort
		}()
	}
	wg.Wait()
	seenIP, seenPort := map[string]bool{"10.43.0.1": true}, map[int32]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seenIP[ips[i]] || seenPort[ports[i]] || ports[i] < 30000 || ports[i] > 32767 {
			t.Fatalf("service %d got duplicate or bad allocation %s/%d", i, ips[i], ports[i])
		}
		seenIP[ips[i]], seenPort[ports[i]] = true, true
	}
	kube, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || kube.Spec.ClusterIP != "10.43.0.1" {
		t.Fatalf("kubernetes service: %v %v", kube, err)
	}
	taken := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "taken"}, Spec: corev1.ServiceSpec{ClusterIP: ips[0], Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := cs.CoreV1().Services("default").Create(ctx, taken, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("duplicate ClusterIP: %v, want Invalid", err)
	}
	if err := cs.CoreV1().Services("default").Delete(ctx, "s0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Services("default").Create(ctx, taken, metav1.CreateOptions{}); err != nil {
		t.Fatalf("released ClusterIP not reusable: %v", err)
	}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
			},
		},
	}
}

func TestStatusAndScaleSubresources(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	deps := cs.AppsV1().Deployments("default")
	d, err := deps.Create(ctx, deployment("web", 2), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Generation != 1 {
		t.Fatalf("generation after create = %d", d.Generation)
	}
	d.Status.Replicas = 7
	d.Spec.Replicas = ptr(int32(3))
	d, err = deps.Update(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.Replicas != 0 || *d.Spec.Replicas != 3 || d.Generation != 2 {
		t.Fatalf("main update: status.replicas=%d spec.replicas=%d generation=%d", d.Status.Replicas, *d.Spec.Replicas, d.Generation)
	}
	d.Status.Replicas = 3
	d.Spec.Replicas = ptr(int32(9))
	d, err = deps.UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.Replicas != 3 || *d.Spec.Replicas != 3 || d.Generation != 2 {
		t.Fatalf("status update: status.replicas=%d spec.replicas=%d generation=%d", d.Status.Replicas, *d.Spec.Replicas, d.Generation)
	}
	sc, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil || sc.Spec.Replicas != 3 || sc.Status.Replicas != 3 || sc.Status.Selector != "app=web" {
		t.Fatalf("get scale: %+v %v", sc, err)
	}
	sc.Spec.Replicas = 5
	if _, err := deps.UpdateScale(ctx, "web", sc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := deps.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":6}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	d, _ = deps.Get(ctx, "web", metav1.GetOptions{})
	if *d.Spec.Replicas != 6 {
		t.Fatalf("replicas after scale = %d", *d.Spec.Replicas)
	}
}

func ptr[T any](v T) *T { return &v }

func TestDeletionWithFinalizersAndGrace(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	cms := cs.CoreV1().ConfigMaps("default")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fg := metav1.DeletePropagationForeground
	if err := cms.Delete(ctx, "held", metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	got, err := cms.Get(ctx, "held", metav1.GetOptions{})
	if err != nil || got.DeletionTimestamp == nil || fmt.Sprint(got.Finalizers) != "[example.com/hold foregroundDeletion]" {
		t.Fatalf("held object: %+v %v", got.ObjectMeta, err)
	}
	got.Finalizers = nil
	if _, err := cms.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "held", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("object with no finalizers left must be gone: %v", err)
	}

	pods := cs.CoreV1().Pods("default")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bindPod(t, cs, "p", "node-1")
	if err := pods.Delete(ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := pods.Get(ctx, "p", metav1.GetOptions{})
	if err != nil || p.DeletionTimestamp == nil || *p.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("bound pod must be deleted gracefully: %+v %v", p.ObjectMeta, err)
	}
	if err := pods.Delete(ctx, "p", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("zero-grace delete must remove the pod: %v", err)
	}
}

func bindPod(t *testing.T, cs kubernetes.Interface, pod, node string) {
	t.Helper()
	b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod}, Target: corev1.ObjectReference{Kind: "Node", Name: node}}
	if err := cs.CoreV1().Pods("default").Bind(context.Background(), b, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := cs.CoreV1().Pods("default").Bind(context.Background(), b, metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("second bind: %v, want Conflict", err)
	}
}

// TestLoadBalancerWithoutNodePorts: allocateLoadBalancerNodePorts false
// leaves ports without a node port, except those given explicitly.
func TestLoadBalancerWithoutNodePorts(t *testing.T) {
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	no := false
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: &no, Selector: map[string]string{"app": "x"},
		Ports: []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 81, NodePort: 30081}},
	}}
	got, err := cs.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Ports[0].NodePort != 0 || got.Spec.Ports[1].NodePort != 30081 {
		t.Errorf("node ports %d, %d; want 0 and the explicit 30081", got.Spec.Ports[0].NodePort, got.Spec.Ports[1].NodePort)
	}
}
