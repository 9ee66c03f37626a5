package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeEnv is a controller over a fake clientset whose informer caches the
// test fills by hand, so it controls exactly what the controller sees.
type fakeEnv struct {
	c       *Controller
	client  *fake.Clientset
	factory informers.SharedInformerFactory
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	client := fake.NewClientset()
	n := 0
	client.PrependReactor("create", "endpointslices", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s := a.(k8stesting.CreateAction).GetObject().(*discoveryv1.EndpointSlice)
		n++
		s.Name, s.UID, s.ResourceVersion = fmt.Sprintf("%s%d", s.GenerateName, n), types.UID(fmt.Sprint("uid", n)), fmt.Sprint(n)
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: client, Informers: factory,
		Clock: clocktesting.NewFakeClock(time.Unix(0, 0)), Recorder: record.NewFakeRecorder(10)})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeEnv{c: c, client: client, factory: factory}
}

func (e *fakeEnv) cache(t *testing.T, objs ...runtime.Object) {
	t.Helper()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			err = e.factory.Core().V1().Services().Informer().GetIndexer().Add(o)
		case *corev1.Pod:
			err = e.factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
		case *corev1.Node:
			err = e.factory.Core().V1().Nodes().Informer().GetIndexer().Add(o)
		case *discoveryv1.EndpointSlice:
			err = e.factory.Discovery().V1().EndpointSlices().Informer().GetIndexer().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (e *fakeEnv) creates() []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, a := range e.client.Actions() {
		if c, ok := a.(k8stesting.CreateAction); ok && a.GetResource().Resource == "endpointslices" {
			out = append(out, c.GetObject().(*discoveryv1.EndpointSlice))
		}
	}
	return out
}

func TestSyncNeverCreatesTwiceFromAStaleCache(t *testing.T) {
	e := newFakeEnv(t)
	ctx := context.Background()
	svc := mkSvc(func(s *corev1.Service) { s.CreationTimestamp = metav1.NewTime(time.Unix(100, 0)) })
	e.cache(t, svc, mkPod("a", "10.0.0.1"), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	if err := e.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	created := e.creates()
	if len(created) != 1 || len(created[0].Endpoints) != 1 {
		t.Fatalf("first sync created %d slices", len(created))
	}
	if created[0].Annotations[corev1.EndpointsLastChangeTriggerTime] == "" {
		t.Errorf("created slice has no trigger time: %v", created[0].Annotations)
	}
	// The informer has not shown the slice yet: the sync must wait.
	if err := e.c.sync(ctx, "ns/web"); !errors.Is(err, errStale) {
		t.Fatalf("sync over a stale cache: err %v, want errStale", err)
	}
	if n := len(e.creates()); n != 1 {
		t.Fatalf("stale cache led to %d creates", n)
	}
	list, err := e.client.DiscoveryV1().EndpointSlices("ns").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("stored slices: %v, %v", list, err)
	}
	stored := &list.Items[0]
	e.client.ClearActions()
	e.cache(t, stored)
	if err := e.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	if a := e.client.Actions(); len(a) != 0 {
		t.Errorf("steady state sync wrote: %v", a)
	}
	if !e.c.tracker.Own("ns/web", stored) {
		t.Error("the controller's own write is not recognised, its informer event would queue a sync")
	}
}

func TestSyncRetriesPodsOnMissingNodes(t *testing.T) {
	e := newFakeEnv(t)
	e.cache(t, mkSvc(), mkPod("a", "10.0.0.1", onNode("nowhere")))
	err := e.c.sync(context.Background(), "ns/web")
	if err == nil {
		t.Fatal("sync with a pod on a missing node must ask for a retry")
	}
	created := e.creates()
	if len(created) != 1 || len(created[0].Endpoints) != 0 {
		t.Errorf("want one placeholder slice written anyway, got %d", len(created))
	}
}

func TestSyncIgnoresSelectorlessAndExternalName(t *testing.T) {
	e := newFakeEnv(t)
	noSel := mkSvc(func(s *corev1.Service) { s.Name, s.Spec.Selector = "nosel", nil })
	ext := mkSvc(func(s *corev1.Service) { s.Name, s.Spec.Type = "ext", corev1.ServiceTypeExternalName })
	e.cache(t, noSel, ext, mkPod("a", "10.0.0.1"))
	for _, k := range []string{"ns/nosel", "ns/ext"} {
		if err := e.c.sync(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	if a := e.client.Actions(); len(a) != 0 {
		t.Errorf("wrote for services it does not serve: %v", a)
	}
}

func TestTriggerTimes(t *testing.T) {
	tt := NewTriggerTimes()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc := mkSvc(func(s *corev1.Service) { s.CreationTimestamp = metav1.NewTime(t0) })
	ready := func(name string, at time.Time, ok bool) *corev1.Pod {
		p := mkPod(name, "10.0.0.1")
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(at)
		if !ok {
			notReady(p)
		}
		return p
	}
	steps := []struct {
		name string
		pods []*corev1.Pod
		want time.Time
	}{
		{name: "first sync: service creation", pods: []*corev1.Pod{ready("a", t0.Add(time.Minute), true)}, want: t0},
		{name: "nothing changed", pods: []*corev1.Pod{ready("a", t0.Add(time.Minute), true)}},
		{name: "new pod", pods: []*corev1.Pod{ready("a", t0.Add(time.Minute), true), ready("b", t0.Add(2*time.Minute), true)}, want: t0.Add(2 * time.Minute)},
		{name: "readiness flip in the same second counts", pods: []*corev1.Pod{ready("a", t0.Add(time.Minute), false), ready("b", t0.Add(2*time.Minute), true)}, want: t0.Add(time.Minute)},
	}
	for _, s := range steps {
		if got := tt.Compute("ns/web", svc, s.pods); !got.Equal(s.want) {
			t.Errorf("%s: %v, want %v", s.name, got, s.want)
		}
	}
}

func TestServiceGoneDeletesOnlyServiceOwnedSlices(t *testing.T) {
	e := newFakeEnv(t)
	owned := NewSlice(mkSvc(), discoveryv1.AddressTypeIPv4, nil)
	owned.Name, owned.UID, owned.Labels = "web-abc", "s1", SliceLabels(mkSvc())
	bootstrap := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "s2", Labels: SliceLabels(mkSvc())},
		AddressType: discoveryv1.AddressTypeIPv4}
	e.cache(t, owned, bootstrap)
	if err := e.c.sync(context.Background(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, a := range e.client.Actions() {
		if d, ok := a.(k8stesting.DeleteAction); ok {
			deleted = append(deleted, d.GetName())
		}
	}
	if fmt.Sprint(deleted) != "[web-abc]" {
		t.Errorf("deleted %v, want [web-abc]", deleted)
	}
}
