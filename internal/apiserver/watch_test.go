package apiserver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// TestInformerSeesChangesInOrderAndSurvivesCompaction runs a client-go shared
// informer over pods: it must see create, update and delete in order, and
// keep working after etcd history it watched from has been compacted.
func TestInformerSeesChangesInOrderAndSurvivesCompaction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	events := make(chan string, 100)
	f := informers.NewSharedInformerFactory(cs, 0)
	inf := f.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { events <- "add " + o.(*corev1.Pod).Name },
		UpdateFunc: func(old, o any) {
			events <- fmt.Sprintf("update %s %s", o.(*corev1.Pod).Name, o.(*corev1.Pod).Labels["v"])
		},
		DeleteFunc: func(o any) {
			if p, ok := o.(*corev1.Pod); ok {
				events <- "delete " + p.Name
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	defer func() { cancel(); f.Shutdown() }()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}
	pods := cs.CoreV1().Pods("default")
	mk := func(name string) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"v": "1"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want ...string) {
		t.Helper()
		for _, w := range want {
			select {
			case got := <-events:
				if got != w {
					t.Fatalf("event %q, want %q", got, w)
				}
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %q", w)
			}
		}
	}
	mk("a")
	p, _ := pods.Get(ctx, "a", metav1.GetOptions{})
	p.Labels["v"] = "2"
	if _, err := pods.Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := pods.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("add a", "update a 2", "delete a")

	// Compact etcd's history away and drop every connection, as a failing
	// server would: the informer must resume (from the watch cache, or by
	// relisting after 410 Expired) and carry on.
	mk("b")
	expect("add b")
	rev, err := srv.Store.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	// Pooled connections the server just closed fail once; retry the write.
	c := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := pods.Create(ctx, c, metav1.CreateOptions{})
		return err == nil || apierrors.IsAlreadyExists(err), nil
	}); err != nil {
		t.Fatal(err)
	}
	// A relist re-delivers the pods it already had as updates; then c.
	for got := ""; got != "add c"; {
		select {
		case got = <-events:
			if got != "add c" && got != "update b 1" {
				t.Fatalf("event %q after the drop, want a resync of b or add c", got)
			}
		case <-ctx.Done():
			t.Fatal("timed out waiting for add c")
		}
	}
	if got := len(inf.GetStore().List()); got != 2 {
		t.Fatalf("informer cache holds %d pods, want 2", got)
	}

	// A watch from before the compaction that no cache covers gets 410
	// Expired, the signal that makes clients relist.
	w, err := cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{ResourceVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	e := <-w.ResultChan()
	st, ok := e.Object.(*metav1.Status)
	if e.Type != watch.Error || !ok || st.Code != 410 || st.Reason != metav1.StatusReasonExpired {
		t.Fatalf("watch from a compacted revision: %v %+v, want ERROR 410 Expired", e.Type, e.Object)
	}
}

// TestMetadataWatchBookmarks: a metadata-only watch gets its bookmarks as
// PartialObjectMetadata (the garbage collector's informers decode nothing
// else), here the bookmark that ends the initial events.
func TestMetadataWatchBookmarks(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	mc, err := metadata.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	w, err := mc.Resource(corev1.SchemeGroupVersion.WithResource("configmaps")).Namespace("default").Watch(context.Background(), metav1.ListOptions{
		AllowWatchBookmarks: true, SendInitialEvents: &yes, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	select {
	case ev := <-w.ResultChan():
		pom, ok := ev.Object.(*metav1.PartialObjectMetadata)
		if ev.Type != watch.Bookmark || !ok || pom.Annotations[metav1.InitialEventsAnnotationKey] != "true" || pom.ResourceVersion == "" {
			t.Fatalf("first event %s %T %+v, want a PartialObjectMetadata bookmark ending the initial events", ev.Type, ev.Object, ev.Object)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no bookmark")
	}
}
