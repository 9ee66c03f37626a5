package statefulset

import (
	"context"
	"log/slog"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

type harness struct {
	t       *testing.T
	client  *fake.Clientset
	factory informers.SharedInformerFactory
	c       *Controller
	rec     *record.FakeRecorder
}

// newHarness builds a controller over a fake clientset whose informers are
// never started; cache() copies chosen API objects into them.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	rec := record.NewFakeRecorder(100)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: client, Informers: factory, Clock: testingclock.NewFakeClock(now), Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, client: client, factory: factory, c: c, rec: rec}
}

// cache makes the informer caches show what the API holds now.
func (h *harness) cache() {
	ctx := context.Background()
	sets, err := h.client.AppsV1().StatefulSets("ns").List(ctx, metav1.ListOptions{})
	h.must(err)
	pods, err := h.client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	h.must(err)
	pvcs, err := h.client.CoreV1().PersistentVolumeClaims("ns").List(ctx, metav1.ListOptions{})
	h.must(err)
	revs, err := h.client.AppsV1().ControllerRevisions("ns").List(ctx, metav1.ListOptions{})
	h.must(err)
	h.must(h.factory.Apps().V1().StatefulSets().Informer().GetStore().Replace(pointers(sets.Items), ""))
	h.must(h.factory.Core().V1().Pods().Informer().GetStore().Replace(pointers(pods.Items), ""))
	h.must(h.factory.Core().V1().PersistentVolumeClaims().Informer().GetStore().Replace(pointers(pvcs.Items), ""))
	h.must(h.factory.Apps().V1().ControllerRevisions().Informer().GetStore().Replace(pointers(revs.Items), ""))
}

func pointers[T any](items []T) []any {
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) pods() []string {
	l, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	h.must(err)
	var out []string
	for _, p := range l.Items {
		out = append(out, p.Name)
	}
	return out
}

func (h *harness) markReady(name string) {
	ctx := context.Background()
	p, err := h.client.CoreV1().Pods("ns").Get(ctx, name, metav1.GetOptions{})
	h.must(err)
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	_, err = h.client.CoreV1().Pods("ns").UpdateStatus(ctx, p, metav1.UpdateOptions{})
	h.must(err)
}

func TestSyncOrderedWithClaims(t *testing.T) {
	s := set(2, func(s *appsv1.StatefulSet) {
		s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "www"}}}
		s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
			WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.DeletePersistentVolumeClaimRetentionPolicyType}
	})
	h := newHarness(t, s)
	ctx := context.Background()
	h.cache()
	h.must(h.c.sync(ctx, "ns/web"))
	if got := h.pods(); len(got) != 1 || got[0] != "web-0" {
		t.Fatalf("pods after first sync = %v", got)
	}
	// a stale cache (web-0 not seen yet) must not lead to web-1.
	h.must(h.c.sync(ctx, "ns/web"))
	if got := h.pods(); len(got) != 1 {
		t.Fatalf("stale cache: pods = %v", got)
	}
	pvc, err := h.client.CoreV1().PersistentVolumeClaims("ns").Get(ctx, "www-web-0", metav1.GetOptions{})
	h.must(err)
	if len(pvc.OwnerReferences) != 1 || pvc.OwnerReferences[0].UID != s.UID {
		t.Errorf("whenDeleted=Delete: claim owners = %+v", pvc.OwnerReferences)
	}
	h.markReady("web-0")
	h.cache()
	h.must(h.c.sync(ctx, "ns/web"))
	if got := h.pods(); len(got) != 2 {
		t.Fatalf("after web-0 ready: pods = %v", got)
	}
	h.markReady("web-1")
	// scale to 1: web-1's claim is handed to the pod, then the pod deleted.
	live, err := h.client.AppsV1().StatefulSets("ns").Get(ctx, "web", metav1.GetOptions{})
	h.must(err)
	live.Spec.Replicas = ptr.To[int32](1)
	_, err = h.client.AppsV1().StatefulSets("ns").Update(ctx, live, metav1.UpdateOptions{})
	h.must(err)
	h.cache()
	web1, err := h.client.CoreV1().Pods("ns").Get(ctx, "web-1", metav1.GetOptions{})
	h.must(err)
	h.must(h.c.sync(ctx, "ns/web"))
	if got := h.pods(); len(got) != 1 || got[0] != "web-0" {
		t.Fatalf("after scale down: pods = %v", got)
	}
	pvc, err = h.client.CoreV1().PersistentVolumeClaims("ns").Get(ctx, "www-web-1", metav1.GetOptions{})
	h.must(err)
	if len(pvc.OwnerReferences) != 1 || pvc.OwnerReferences[0].UID != web1.UID || pvc.OwnerReferences[0].Kind != "Pod" {
		t.Errorf("whenScaled=Delete: claim owners = %+v", pvc.OwnerReferences)
	}
	want := map[string]bool{
		"Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful":              false,
		"Normal SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success": false,
		"Normal SuccessfulDelete delete Pod web-1 in StatefulSet web successful":              false,
	}
	for len(h.rec.Events) > 0 {
		e := <-h.rec.Events
		if _, ok := want[e]; ok {
			want[e] = true
		}
	}
	for e, seen := range want {
		if !seen {
			t.Errorf("missing event %q", e)
		}
	}
}
