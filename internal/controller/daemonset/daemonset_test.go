package daemonset_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/daemonset"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(cs, 0)
	c, err := daemonset.New(daemonset.Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs, Informers: factory})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return cs
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func addNode(t *testing.T, cs kubernetes.Interface, name string, taints ...corev1.Taint) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Taints: taints}}
	if _, err := cs.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// targets maps node name → images of the live daemon pods aimed at it.
func targets(ctx context.Context, cs kubernetes.Interface) (map[string][]string, error) {
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		node := terms[0].MatchFields[0].Values[0]
		out[node] = append(out[node], p.Spec.Containers[0].Image)
	}
	return out, nil
}

// hasPods reports whether the live daemon pods per node are exactly m.
func hasPods(cs kubernetes.Interface, m map[string][]string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		got, err := targets(ctx, cs)
		return err == nil && fmt.Sprint(got) == fmt.Sprint(m), err
	}
}

// markReady plays the kubelet: every daemon pod becomes Running and Ready.
func markReady(ctx context.Context, cs kubernetes.Interface) error {
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
	if err != nil {
		return err
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodRunning {
			continue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		if _, err := cs.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("mark %s ready: %w", p.Name, err)
		}
	}
	return nil
}

func daemonSet(image string) *appsv1.DaemonSet {
	lbl := map[string]string{"app": "agent"}
	one := intstr.FromInt32(1)
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "default"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}}},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &one}},
		},
	}
}

func TestDaemonSetLifecycle(t *testing.T) {
	cs := start(t)
	ctx := context.Background()
	addNode(t, cs, "a")
	addNode(t, cs, "b")
	addNode(t, cs, "tainted", corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule})
	addNode(t, cs, "cordoned", corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	if _, err := cs.AppsV1().DaemonSets("default").Create(ctx, daemonSet("img:1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := func(m map[string][]string) func(context.Context) (bool, error) { return hasPods(cs, m) }
	// one pod per eligible node; the tainted node gets none, the cordoned
	// one does (daemon pods tolerate unschedulable).
	poll(t, "one pod per eligible node", want(map[string][]string{"a": {"img:1"}, "b": {"img:1"}, "cordoned": {"img:1"}}))
	pods, _ := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
	p := pods.Items[0]
	if !slices.ContainsFunc(p.Spec.Tolerations, func(tl corev1.Toleration) bool { return tl.Key == corev1.TaintNodeNotReady }) ||
		p.Labels[appsv1.ControllerRevisionHashLabelKey] == "" || !metav1.IsControlledBy(&p, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{UID: p.OwnerReferences[0].UID}}) {
		t.Errorf("daemon pod lacks tolerations, hash label or controller ref: %+v", p)
	}

	addNode(t, cs, "c")
	poll(t, "a pod for the new node", want(map[string][]string{"a": {"img:1"}, "b": {"img:1"}, "c": {"img:1"}, "cordoned": {"img:1"}}))
	poll(t, "pods ready and status", func(ctx context.Context) (bool, error) {
		if err := markReady(ctx, cs); err != nil {
			return false, err
		}
		ds, err := cs.AppsV1().DaemonSets("default").Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := ds.Status
		return s.DesiredNumberScheduled == 4 && s.CurrentNumberScheduled == 4 && s.NumberReady == 4 && s.NumberAvailable == 4 &&
			s.UpdatedNumberScheduled == 4 && s.NumberUnavailable == 0 && s.ObservedGeneration == ds.Generation, nil
	})
	rollAndUndo(t, cs)
	assertEvent(t, cs, "SuccessfulCreate", "Created pod: agent-")
	assertEvent(t, cs, "SuccessfulDelete", "Deleted pod: agent-")
}

// rollAndUndo rolls the DaemonSet to img:2, never leaving more than
// maxUnavailable=1 node without a pod, then undoes it as kubectl does.
func rollAndUndo(t *testing.T, cs kubernetes.Interface) {
	ctx := context.Background()
	want := func(m map[string][]string) func(context.Context) (bool, error) { return hasPods(cs, m) }
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ds, err := cs.AppsV1().DaemonSets("default").Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return err
		}
		ds.Spec.Template.Spec.Containers[0].Image = "img:2"
		_, err = cs.AppsV1().DaemonSets("default").Update(ctx, ds, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rolled := map[string][]string{"a": {"img:2"}, "b": {"img:2"}, "c": {"img:2"}, "cordoned": {"img:2"}}
	poll(t, "rolled to img:2", func(ctx context.Context) (bool, error) {
		got, err := targets(ctx, cs)
		if err != nil {
			return false, err
		}
		if len(got) < 3 {
			return false, fmt.Errorf("more than one node lost its pod during the update: %v", got)
		}
		if err := markReady(ctx, cs); err != nil {
			return false, err
		}
		return fmt.Sprint(got) == fmt.Sprint(rolled), nil
	})
	revs := revisions(t, cs)
	if len(revs) != 2 || revs[0].Revision != 1 || revs[1].Revision != 2 || revs[0].Name == revs[1].Name {
		t.Fatalf("revisions = %v", describe(revs))
	}

	// kubectl rollout undo: apply the old revision's patch to the DaemonSet.
	if _, err := cs.AppsV1().DaemonSets("default").Patch(ctx, "agent", types.StrategicMergePatchType, revs[0].Data.Raw, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	back := map[string][]string{"a": {"img:1"}, "b": {"img:1"}, "c": {"img:1"}, "cordoned": {"img:1"}}
	poll(t, "rolled back to img:1", func(ctx context.Context) (bool, error) {
		if err := markReady(ctx, cs); err != nil {
			return false, err
		}
		return want(back)(ctx)
	})
	poll(t, "old revision renumbered", func(ctx context.Context) (bool, error) {
		r := revisions(t, cs)
		return len(r) == 2 && r[1].Name == revs[0].Name && r[1].Revision == 3, nil
	})
}

func revisions(t *testing.T, cs kubernetes.Interface) []appsv1.ControllerRevision {
	t.Helper()
	l, err := cs.AppsV1().ControllerRevisions("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=agent"})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Revision < l.Items[j].Revision })
	return l.Items
}

func describe(revs []appsv1.ControllerRevision) []string {
	var out []string
	for _, r := range revs {
		out = append(out, fmt.Sprintf("%s=%d", r.Name, r.Revision))
	}
	return out
}

func assertEvent(t *testing.T, cs kubernetes.Interface, reason, prefix string) {
	t.Helper()
	poll(t, "event "+reason, func(ctx context.Context) (bool, error) {
		evs, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == reason && len(e.Message) >= len(prefix) && e.Message[:len(prefix)] == prefix && e.InvolvedObject.Kind == "DaemonSet" {
				return true, nil
			}
		}
		return false, nil
	})
}
