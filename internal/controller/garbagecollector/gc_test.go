package garbagecollector_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/garbagecollector"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func start(t *testing.T) *kubernetes.Clientset {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	meta, err := metadata.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	factory := metadatainformer.NewSharedInformerFactory(meta, 0)
	gc := garbagecollector.New(garbagecollector.Options{
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Metadata: meta, Informers: factory,
		Discovery: cs.Discovery(), DiscoveryPeriod: time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gc.Run(ctx, 4) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return cs
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func ownerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes, BlockOwnerDeletion: &yes}
}

// tree is a Deployment owning two ReplicaSets owning two Pods each, made by
// hand since no ReplicaSet controller runs here.
type tree struct {
	deploy *appsv1.Deployment
	rs     []*appsv1.ReplicaSet
	pods   []*corev1.Pod
}

func makeTree(t *testing.T, cs kubernetes.Interface, ns string) tree {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": "web"}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var tr tree
	var err error
	tr.deploy, err = cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), OwnerReferences: []metav1.OwnerReference{
				ownerRef("apps/v1", "Deployment", "web", tr.deploy.UID)}},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr.rs = append(tr.rs, rs)
		for j := range 2 {
			pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d-%d", i, j), Labels: labels, OwnerReferences: []metav1.OwnerReference{
					ownerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID)}},
				Spec: tmpl.Spec}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tr.pods = append(tr.pods, pod)
		}
	}
	return tr
}

// counts returns how many of the tree's ReplicaSets and Pods still exist.
func counts(ctx context.Context, cs kubernetes.Interface, ns string) (rs, pods int, err error) {
	rl, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, 0, err
	}
	pl, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, 0, err
	}
	return len(rl.Items), len(pl.Items), nil
}

func deleteDeployment(t *testing.T, cs kubernetes.Interface, ns string, policy metav1.DeletionPropagation) {
	t.Helper()
	err := cs.AppsV1().Deployments(ns).Delete(context.Background(), "web", metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil {
		t.Fatal(err)
	}
}

func deploymentGone(cs kubernetes.Interface, ns string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
}

func TestBackgroundCascade(t *testing.T) {
	cs := start(t)
	makeTree(t, cs, "bg")
	deleteDeployment(t, cs, "bg", metav1.DeletePropagationBackground)
	poll(t, "replicasets and pods to be collected", func(ctx context.Context) (bool, error) {
		rs, pods, err := counts(ctx, cs, "bg")
		return rs == 0 && pods == 0, err
	})
}

func TestForegroundCascade(t *testing.T) {
	cs := start(t)
	makeTree(t, cs, "fg")
	// A dependent blocks its owner only once the collector has seen it, as
	// upstream: give the graph a moment to take in what was just created
	// (otherwise the owner may go first and the dependents right after).
	time.Sleep(time.Second)
	deleteDeployment(t, cs, "fg", metav1.DeletePropagationForeground)
	ctx := context.Background()
	// Until its dependents are gone the owner stays, marked for deletion.
	for {
		d, err := cs.AppsV1().Deployments("fg").Get(ctx, "web", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if d.DeletionTimestamp == nil {
			t.Fatal("deployment lost its deletionTimestamp")
		}
		rs, pods, err := counts(ctx, cs, "fg")
		if err != nil {
			t.Fatal(err)
		}
		if rs == 0 && pods == 0 {
			poll(t, "deployment to go once its dependents are gone", deploymentGone(cs, "fg"))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rs, pods, err := counts(ctx, cs, "fg")
	if err != nil || rs != 0 || pods != 0 {
		t.Fatalf("after foreground deletion: %d replicasets, %d pods left (%v)", rs, pods, err)
	}
}

func TestOrphanCascade(t *testing.T) {
	cs := start(t)
	tr := makeTree(t, cs, "orphan")
	deleteDeployment(t, cs, "orphan", metav1.DeletePropagationOrphan)
	poll(t, "deployment to go", deploymentGone(cs, "orphan"))
	ctx := context.Background()
	for _, want := range tr.rs {
		rs, err := cs.AppsV1().ReplicaSets("orphan").Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("orphaned replicaset %s: %v", want.Name, err)
		}
		if len(rs.OwnerReferences) != 0 {
			t.Fatalf("replicaset %s still has owners %+v", rs.Name, rs.OwnerReferences)
		}
	}
	// Give the collector time to act wrongly on the now ownerless tree.
	time.Sleep(500 * time.Millisecond)
	if rs, pods, err := counts(ctx, cs, "orphan"); err != nil || rs != 2 || pods != 4 {
		t.Fatalf("after orphan deletion: %d replicasets, %d pods (%v), want 2 and 4", rs, pods, err)
	}
}

func TestDependentWithTwoOwners(t *testing.T) {
	cs := start(t)
	ctx := context.Background()
	cms := cs.CoreV1().ConfigMaps("default")
	var owners []*corev1.ConfigMap
	for _, name := range []string{"owner-a", "owner-b"} {
		o, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		owners = append(owners, o)
	}
	dep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shared", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "v1", Kind: "ConfigMap", Name: "owner-a", UID: owners[0].UID},
		{APIVersion: "v1", Kind: "ConfigMap", Name: "owner-b", UID: owners[1].UID},
	}}}
	if _, err := cms.Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "owner-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the dangling reference to be dropped", func(ctx context.Context) (bool, error) {
		cm, err := cms.Get(ctx, "shared", metav1.GetOptions{})
		if err != nil {
			return false, err // the dependent must survive
		}
		return len(cm.OwnerReferences) == 1 && cm.OwnerReferences[0].UID == owners[1].UID, nil
	})
	if err := cms.Delete(ctx, "owner-b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the dependent to go with its last owner", func(ctx context.Context) (bool, error) {
		_, err := cms.Get(ctx, "shared", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

func TestOwnerThatNeverExisted(t *testing.T) {
	cs := start(t)
	ctx := context.Background()
	cms := cs.CoreV1().ConfigMaps("default")
	dep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "stray", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "v1", Kind: "ConfigMap", Name: "ghost", UID: "00000000-0000-0000-0000-000000000001"}}}}
	if _, err := cms.Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	keep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}}
	if _, err := cms.Create(ctx, keep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the stray dependent to be collected", func(ctx context.Context) (bool, error) {
		_, err := cms.Get(ctx, "stray", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if _, err := cms.Get(ctx, "keep", metav1.GetOptions{}); err != nil {
		t.Fatalf("object without owners collected: %v", err)
	}
}

// TestOwnerReferenceCycle: two ConfigMaps owning each other (a cycle the
// API accepts) both go when one is deleted in the foreground, and neither
// is collected while both live.
func TestOwnerReferenceCycle(t *testing.T) {
	cs := start(t)
	ctx := context.Background()
	cms := cs.CoreV1().ConfigMaps("default")
	a, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "b",
		OwnerReferences: []metav1.OwnerReference{ownerRef("v1", "ConfigMap", "a", a.UID)}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.OwnerReferences = []metav1.OwnerReference{ownerRef("v1", "ConfigMap", "b", b.UID)}
	if _, err := cms.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // a few GC passes: owners exist, nothing goes
	for _, name := range []string{"a", "b"} {
		if _, err := cms.Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Fatalf("%s collected while its owner lives: %v", name, err)
		}
	}
	fg := metav1.DeletePropagationForeground
	if err := cms.Delete(ctx, "a", metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	poll(t, "both members of the cycle to go", func(ctx context.Context) (bool, error) {
		list, err := cms.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, cm := range list.Items {
			if cm.Name == "a" || cm.Name == "b" {
				return false, nil
			}
		}
		return true, nil
	})
}
