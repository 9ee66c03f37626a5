package daemonset

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
)

// TestSyncFake drives sync by hand over a fake clientset whose informers
// are never started, i.e. a cache that never catches up: expectations must
// stop the second sync from creating the pods again until they expire.
type harness struct {
	factory informers.SharedInformerFactory
	client  *fake.Clientset
	c       *Controller
	clk     *testingclock.FakeClock
	rec     *record.FakeRecorder
}

// newHarness builds a controller over a fake clientset holding ds; the
// informers are never started and their caches hold ds and nodes only.
func newHarness(t *testing.T, ds *appsv1.DaemonSet, nodes ...*corev1.Node) *harness {
	t.Helper()
	client := fake.NewClientset(ds)
	seq := 0
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		// the fake does not implement generateName.
		if p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod); p.Name == "" {
			seq++
			p.Name = fmt.Sprintf("%s%d", p.GenerateName, seq)
		}
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testingclock.NewFakeClock(now)
	rec := record.NewFakeRecorder(100)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: client, Informers: factory, Clock: clk, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := factory.Apps().V1().DaemonSets().Informer().GetStore().Add(ds); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := factory.Core().V1().Nodes().Informer().GetStore().Add(n); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{factory: factory, client: client, c: c, clk: clk, rec: rec}
}

func agent() *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "ns", UID: "ds-uid", Generation: 1},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img"}}}},
		},
	}
}

// TestSyncFake drives sync by hand over a fake clientset whose informers
// are never started, i.e. a cache that never catches up: expectations must
// stop the second sync from creating the pods again until they expire.
func TestSyncFake(t *testing.T) {
	h := newHarness(t, agent(), node("a", nil), node("b", nil), node("x", nil, corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoExecute}))
	client, c, clk, rec := h.client, h.c, h.clk, h.rec
	ctx := context.Background()
	countPods := func() int {
		l, err := client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	if err := c.sync(ctx, "ns/agent"); err != nil {
		t.Fatal(err)
	}
	if n := countPods(); n != 2 {
		t.Fatalf("pods after first sync = %d, want 2", n)
	}
	if err := c.sync(ctx, "ns/agent"); err != nil {
		t.Fatal(err)
	}
	if n := countPods(); n != 2 {
		t.Fatalf("stale cache made the second sync create pods: %d", n)
	}
	clk.Step(expectationTTL + 1)
	if err := c.sync(ctx, "ns/agent"); err != nil {
		t.Fatal(err)
	}
	if n := countPods(); n != 4 {
		t.Fatalf("after expectations expired the cache is trusted again: pods = %d, want 4", n)
	}
	created := 0
	for len(rec.Events) > 0 {
		if e := <-rec.Events; strings.HasPrefix(e, "Normal SuccessfulCreate Created pod: ") {
			created++
		}
	}
	if created != 4 {
		t.Errorf("SuccessfulCreate events = %d, want 4", created)
	}
	revs, err := client.AppsV1().ControllerRevisions("ns").List(ctx, metav1.ListOptions{})
	if err != nil || len(revs.Items) != 1 || !strings.HasPrefix(revs.Items[0].Name, "agent-") || revs.Items[0].Revision != 1 {
		t.Fatalf("revisions = %+v, %v", revs, err)
	}
	got, _ := client.AppsV1().DaemonSets("ns").Get(ctx, "agent", metav1.GetOptions{})
	if got.Status.DesiredNumberScheduled != 2 || got.Status.ObservedGeneration != 1 {
		t.Errorf("status = %+v", got.Status)
	}
}

// TestFailedPodBackoff: a node whose daemon pods keep failing gets them
// replaced with growing delays, not in a hot loop.
func TestFailedPodBackoff(t *testing.T) {
	ds := agent()
	h := newHarness(t, ds, node("a", nil))
	ctx := context.Background()
	pods := h.factory.Core().V1().Pods().Informer().GetStore()
	// only failed pod name exists on node a, in the API and the cache.
	failedOnly := func(name string) {
		t.Helper()
		p := newPod(ds, "a", "h")
		p.Name, p.UID = name, types.UID(name)
		p.Status.Phase = corev1.PodFailed
		if _, err := h.client.CoreV1().Pods("ns").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pods.Replace([]any{p}, ""); err != nil {
			t.Fatal(err)
		}
		h.c.expect.Forget("ns/agent") // the informer caught up
	}
	exists := func(name string) bool {
		_, err := h.client.CoreV1().Pods("ns").Get(ctx, name, metav1.GetOptions{})
		return err == nil
	}
	sync := func() {
		t.Helper()
		if err := h.c.sync(ctx, "ns/agent"); err != nil {
			t.Fatal(err)
		}
	}
	failedOnly("f1")
	sync()
	if exists("f1") {
		t.Fatal("first failed pod not deleted")
	}
	failedOnly("f2")
	sync()
	if !exists("f2") {
		t.Fatal("second failed pod deleted without backoff")
	}
	h.clk.Step(2 * time.Second)
	sync()
	if exists("f2") {
		t.Fatal("failed pod kept after backoff")
	}
	found := false
	for len(h.rec.Events) > 0 {
		if e := <-h.rec.Events; e == "Warning FailedDaemonPod Found failed daemon pod ns/f1 on node a, will try to kill it" {
			found = true
		}
	}
	if !found {
		t.Error("no FailedDaemonPod event")
	}
}
