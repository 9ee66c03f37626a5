package history

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

func TestClientEnsure(t *testing.T) {
	ctx := context.Background()
	owner := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "set"}}
	kind := appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	v1, _ := Patch(template("img:1"))
	v2, _ := Patch(template("img:2"))
	// another object already holds the name v2 would get.
	squatter := New(owner, kind, nil, v1, 9, nil)
	squatter.Name = Name("web", Hash(v2, nil))
	squatter.OwnerReferences = nil
	client := fake.NewClientset(squatter)
	c := Client{API: client, Lister: informers.NewSharedInformerFactory(client, 0).Apps().V1().ControllerRevisions().Lister()}

	r1, cc, err := c.Ensure(ctx, owner, kind, map[string]string{"app": "web"}, v1, nil, nil)
	if err != nil || cc != nil || r1.Revision != 1 || r1.Name != Name("web", Hash(v1, nil)) || !metav1.IsControlledBy(r1, owner) {
		t.Fatalf("first revision %+v cc=%v err=%v", r1, cc, err)
	}
	r2, cc, err := c.Ensure(ctx, owner, kind, nil, v2, []*appsv1.ControllerRevision{r1}, nil, "pod-hash")
	if err != nil || cc == nil || *cc != 1 || r2.Revision != 2 || r2.Name != Name("web", Hash(v2, cc)) {
		t.Fatalf("colliding revision %+v cc=%v err=%v", r2, cc, err)
	}
	if h := r2.Labels[HashLabel]; h != Hash(v2, cc) || r2.Labels["pod-hash"] != h {
		t.Errorf("hash labels after a collision: %v", r2.Labels)
	}
	// rolling back to v1 renumbers its revision instead of creating one.
	back, _, err := c.Ensure(ctx, owner, kind, nil, v1, []*appsv1.ControllerRevision{r1, r2}, cc)
	if err != nil || back.Name != r1.Name || back.Revision != 3 {
		t.Fatalf("rollback revision %+v err=%v", back, err)
	}
	// the current one is returned as is.
	same, _, err := c.Ensure(ctx, owner, kind, nil, v1, []*appsv1.ControllerRevision{back, r2}, cc)
	if err != nil || same.Revision != 3 {
		t.Fatalf("current revision %+v err=%v", same, err)
	}
}
