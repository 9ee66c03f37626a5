package replicaset_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/replicaset"
)

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// start runs an API server with the ReplicaSet and ReplicationController
// controllers and returns a client and a fresh namespace.
func start(t *testing.T) (*kubernetes.Clientset, string) {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(cs, 0)
	o := replicaset.Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs, Informers: factory}
	rsc, err := replicaset.New(o)
	if err != nil {
		t.Fatal(err)
	}
	rcc, err := replicaset.NewForReplicationControllers(o)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{}, 2)
	go func() { _ = rsc.Run(ctx, 2); done <- struct{}{} }()
	go func() { _ = rcc.Run(ctx, 2); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; factory.Shutdown() })
	ns := "test"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return cs, ns
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

func newRS(name string, n int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
}

func activePods(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns, app string) []corev1.Pod {
	t.Helper()
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(map[string]string{"app": app}).String()})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func markReady(ctx context.Context, t *testing.T, cs kubernetes.Interface, p *corev1.Pod) {
	t.Helper()
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("mark %s ready: %v", p.Name, err)
	}
}

func TestReplicaSetCreatesReportsAndScalesDownNotReadyFirst(t *testing.T) {
	cs, ns := start(t)
	ctx := context.Background()
	rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, newRS("web", 3), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "3 pods", func(ctx context.Context) (bool, error) { return len(activePods(ctx, t, cs, ns, "web")) == 3, nil })
	pods := activePods(ctx, t, cs, ns, "web")
	for _, p := range pods {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
			t.Fatalf("pod %s owner reference %+v", p.Name, ref)
		}
		if p.GenerateName != "web-" {
			t.Fatalf("pod %s generateName %q", p.Name, p.GenerateName)
		}
	}
	ready := map[string]bool{}
	for i := range pods[:2] {
		markReady(ctx, t, cs, &pods[i])
		ready[pods[i].Name] = true
	}
	poll(t, "status", func(ctx context.Context) (bool, error) {
		cur, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "web", metav1.GetOptions{})
		st := cur.Status
		return err == nil && st.Replicas == 3 && st.ReadyReplicas == 2 && st.AvailableReplicas == 2 &&
			st.FullyLabeledReplicas == 3 && st.ObservedGeneration == cur.Generation, err
	})
	if _, err := cs.AppsV1().ReplicaSets(ns).Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "2 pods", func(ctx context.Context) (bool, error) { return len(activePods(ctx, t, cs, ns, "web")) == 2, nil })
	for _, p := range activePods(ctx, t, cs, ns, "web") {
		if !ready[p.Name] {
			t.Errorf("ready pod deleted before not-ready one: %s survived", p.Name)
		}
	}
	poll(t, "SuccessfulDelete event", eventWith(cs, ns, "SuccessfulDelete", "Deleted pod: "))
	poll(t, "status after scale down", func(ctx context.Context) (bool, error) {
		cur, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && cur.Status.Replicas == 2 && cur.Status.ReadyReplicas == 2, err
	})
	settled(t, func(ctx context.Context) (string, error) {
		cur, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return cur.ResourceVersion, nil
	})
	poll(t, "SuccessfulCreate event", eventWith(cs, ns, "SuccessfulCreate", "Created pod: web-"))
}

func eventWith(cs kubernetes.Interface, ns, reason, prefix string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		evs, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == reason && len(e.Message) >= len(prefix) && e.Message[:len(prefix)] == prefix {
				return true, nil
			}
		}
		return false, nil
	}
}

func TestReplicaSetAdoptsOrphanAndReleasesRelabeled(t *testing.T) {
	cs, ns := start(t)
	ctx := context.Background()
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Labels: map[string]string{"app": "db"}}, Spec: podTemplate("db").Spec}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, newRS("db", 2), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ownedBy := func(name string, uid types.UID) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			ref := metav1.GetControllerOf(p)
			return (ref == nil && uid == "") || (ref != nil && ref.UID == uid), nil
		}
	}
	poll(t, "orphan adopted", ownedBy("orphan", rs.UID))
	poll(t, "2 pods", func(ctx context.Context) (bool, error) { return len(activePods(ctx, t, cs, ns, "db")) == 2, nil })
	time.Sleep(300 * time.Millisecond) // a stale cache must not over-create
	if n := len(activePods(ctx, t, cs, ns, "db")); n != 2 {
		t.Fatalf("%d pods after adoption, want 2", n)
	}
	patch := []byte(`{"metadata":{"labels":{"app":"elsewhere"}}}`)
	if _, err := cs.CoreV1().Pods(ns).Patch(ctx, "orphan", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "relabeled pod released", ownedBy("orphan", ""))
	poll(t, "replacement pod", func(ctx context.Context) (bool, error) { return len(activePods(ctx, t, cs, ns, "db")) == 2, nil })
}

func TestReplicationControllerKeepsReplicas(t *testing.T) {
	cs, ns := start(t)
	ctx := context.Background()
	n := int32(2)
	tmpl := podTemplate("legacy")
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
		Spec:       corev1.ReplicationControllerSpec{Replicas: &n, Selector: map[string]string{"app": "legacy"}, Template: &tmpl},
	}
	created, err := cs.CoreV1().ReplicationControllers(ns).Create(ctx, rc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "2 pods", func(ctx context.Context) (bool, error) { return len(activePods(ctx, t, cs, ns, "legacy")) == 2, nil })
	for _, p := range activePods(ctx, t, cs, ns, "legacy") {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.Kind != "ReplicationController" || ref.APIVersion != "v1" || ref.UID != created.UID {
			t.Fatalf("pod %s owner %+v", p.Name, ref)
		}
	}
	poll(t, "rc status", func(ctx context.Context) (bool, error) {
		cur, err := cs.CoreV1().ReplicationControllers(ns).Get(ctx, "legacy", metav1.GetOptions{})
		return err == nil && cur.Status.Replicas == 2 && cur.Status.FullyLabeledReplicas == 2 && cur.Status.ObservedGeneration == cur.Generation, err
	})
	poll(t, "rc event", eventWith(cs, ns, "SuccessfulCreate", fmt.Sprintf("Created pod: %s-", "legacy")))
	settled(t, func(ctx context.Context) (string, error) {
		cur, err := cs.CoreV1().ReplicationControllers(ns).Get(ctx, "legacy", metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return cur.ResourceVersion, nil
	})
}

// settled fails if the object's resourceVersion still changes a second
// after convergence: an unchanged status must not be rewritten.
func settled(t *testing.T, rv func(ctx context.Context) (string, error)) {
	t.Helper()
	ctx := context.Background()
	before, err := rv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	after, err := rv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Fatalf("object still rewritten after convergence: resourceVersion %s -> %s", before, after)
	}
}

func TestReplicaSetMinReadySeconds(t *testing.T) {
	cs, ns := start(t)
	ctx := context.Background()
	spec := newRS("slow", 1)
	spec.Spec.MinReadySeconds = 1
	if _, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, spec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "pod", func(ctx context.Context) (bool, error) { return len(activePods(ctx, t, cs, ns, "slow")) == 1, nil })
	p := activePods(ctx, t, cs, ns, "slow")[0]
	markReady(ctx, t, cs, &p)
	poll(t, "ready but not yet available", func(ctx context.Context) (bool, error) {
		cur, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "slow", metav1.GetOptions{})
		return err == nil && cur.Status.ReadyReplicas == 1, err
	})
	// Nothing changes after this point but time: the controller must come
	// back by itself once the pod has been ready for minReadySeconds.
	poll(t, "available after minReadySeconds", func(ctx context.Context) (bool, error) {
		cur, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "slow", metav1.GetOptions{})
		return err == nil && cur.Status.AvailableReplicas == 1, err
	})
}
