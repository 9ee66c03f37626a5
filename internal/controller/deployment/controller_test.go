package deployment

import (
	"context"
	"log/slog"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

type harness struct {
	c       *Controller
	client  *fake.Clientset
	factory informers.SharedInformerFactory
	rec     *record.FakeRecorder
}

// newHarness builds a controller over a fake clientset holding objs; the
// informer caches hold what the test adds with cache().
func newHarness(t *testing.T, objs ...*appsv1.ReplicaSet) *harness {
	t.Helper()
	h := &harness{client: fake.NewClientset(), rec: record.NewFakeRecorder(100)}
	h.factory = informers.NewSharedInformerFactory(h.client, 0)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: h.client, Informers: h.factory,
		Clock: clocktesting.NewFakeClock(t0), Recorder: h.rec})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	for _, rs := range objs {
		if _, err := h.client.AppsV1().ReplicaSets(rs.Namespace).Create(context.Background(), rs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		h.cache(t, rs)
	}
	return h
}

func (h *harness) cache(t *testing.T, obj any) {
	t.Helper()
	var err error
	switch o := obj.(type) {
	case *appsv1.Deployment:
		err = h.factory.Apps().V1().Deployments().Informer().GetIndexer().Update(o)
	case *appsv1.ReplicaSet:
		err = h.factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Update(o)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) create(t *testing.T, d *appsv1.Deployment) *appsv1.Deployment {
	t.Helper()
	out, err := h.client.AppsV1().Deployments(d.Namespace).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.cache(t, out)
	return out
}

func webDeployment() *appsv1.Deployment {
	d := withDeadline(rollingDeployment(3, intstr.FromInt32(1), intstr.FromInt32(0)), 600)
	d.Name, d.Namespace, d.UID = "web", "ns", "d-uid"
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	d.Spec.Template = corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
	return d
}

func TestSyncCreatesFirstReplicaSet(t *testing.T) {
	h := newHarness(t)
	d := h.create(t, webDeployment())
	ctx := context.Background()
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	hash := ComputeHash(&d.Spec.Template, nil)
	rs, err := h.client.AppsV1().ReplicaSets("ns").Get(ctx, "web-"+hash, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := metav1.GetControllerOf(rs)
	if *rs.Spec.Replicas != 3 || rs.Spec.Selector.MatchLabels[HashLabel] != hash || rs.Spec.Template.Labels[HashLabel] != hash ||
		ref == nil || ref.UID != "d-uid" || ref.Kind != "Deployment" || !*ref.BlockOwnerDeletion {
		t.Fatalf("replicaset %+v", rs)
	}
	for k, v := range map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"} {
		if rs.Annotations[k] != v {
			t.Fatalf("annotations %v", rs.Annotations)
		}
	}
	if ev := <-h.rec.Events; ev != "Normal ScalingReplicaSet Scaled up replica set web-"+hash+" from 0 to 3" {
		t.Fatalf("event %q", ev)
	}
	got, _ := h.client.AppsV1().Deployments("ns").Get(ctx, "web", metav1.GetOptions{})
	p := Condition(&got.Status, appsv1.DeploymentProgressing)
	if got.Annotations[RevisionAnnotation] != "1" || p == nil || p.Reason != ReasonNewRSCreated || p.Message != `Created new replica set "web-`+hash+`"` {
		t.Fatalf("deployment %v %+v", got.Annotations, got.Status)
	}
}

func TestSyncHashCollisionBumpsCollisionCount(t *testing.T) {
	d := webDeployment()
	hash := ComputeHash(&d.Spec.Template, nil)
	squatter := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "ns", Labels: map[string]string{"app": "other"}}}
	h := newHarness(t)
	if _, err := h.client.AppsV1().ReplicaSets("ns").Create(context.Background(), squatter, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.create(t, d)
	ctx := context.Background()
	if err := h.c.sync(ctx, "ns/web"); err == nil {
		t.Fatal("a collision must fail the sync so it is retried")
	}
	got, _ := h.client.AppsV1().Deployments("ns").Get(ctx, "web", metav1.GetOptions{})
	if got.Status.CollisionCount == nil || *got.Status.CollisionCount != 1 {
		t.Fatalf("collisionCount %v", got.Status.CollisionCount)
	}
	h.cache(t, got)
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.AppsV1().ReplicaSets("ns").Get(ctx, "web-"+ComputeHash(&d.Spec.Template, got.Status.CollisionCount), metav1.GetOptions{}); err != nil {
		t.Fatalf("replicaset with the new hash: %v", err)
	}
}

func TestSyncScalingEventIsProportional(t *testing.T) {
	d := webDeployment()
	ten := int32(10)
	d.Spec.Replicas = &ten
	old := rs("web-old", 8, 8, 0, MaxReplicasAnnotation, "11", DesiredReplicasAnnotation, "10", RevisionAnnotation, "1")
	cur := rs("web-new", 3, 0, 0, MaxReplicasAnnotation, "11", DesiredReplicasAnnotation, "10", RevisionAnnotation, "2")
	tr := true
	for _, r := range []*appsv1.ReplicaSet{old, cur} {
		r.Namespace, r.Labels = "ns", map[string]string{"app": "web"}
		r.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "d-uid", Controller: &tr}}
	}
	old.CreationTimestamp = metav1.NewTime(t0.Add(-60 * 60 * 1e9))
	old.Spec.Template = *d.Spec.Template.DeepCopy()
	old.Spec.Template.Spec.Containers[0].Image = "nginx:old"
	cur.Spec.Template = *d.Spec.Template.DeepCopy()
	h := newHarness(t, old, cur)
	twenty := int32(21)
	d.Spec.Replicas = &twenty
	h.create(t, d)
	ctx := context.Background()
	if err := h.c.sync(ctx, "ns/web"); err != nil {
		t.Fatal(err)
	}
	// 11 -> 22 allowed: old 8*22/11=16, new 3*22/11=6.
	for name, want := range map[string]int32{"web-old": 16, "web-new": 6} {
		got, _ := h.client.AppsV1().ReplicaSets("ns").Get(ctx, name, metav1.GetOptions{})
		if *got.Spec.Replicas != want || got.Annotations[DesiredReplicasAnnotation] != "21" || got.Annotations[MaxReplicasAnnotation] != "22" {
			t.Errorf("%s: replicas %d annotations %v, want %d", name, *got.Spec.Replicas, got.Annotations, want)
		}
	}
}
