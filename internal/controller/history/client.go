package history

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
)

// Client reads revisions from a lister and writes them through the API.
type Client struct {
	API    kubernetes.Interface
	Lister appslisters.ControllerRevisionLister
}

// Owned lists the revisions in owner's namespace that owner controls after
// adopting matching orphans and releasing non-matching ones. fresh is a
// live read of the owner made before adopting; it fails when the owner is
// gone, recreated or being deleted.
func (c Client) Owned(ctx context.Context, owner metav1.Object, gvk schema.GroupVersionKind, sel labels.Selector, fresh func(context.Context) error) ([]*appsv1.ControllerRevision, error) {
	all, err := c.Lister.ControllerRevisions(owner.GetNamespace()).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list controller revisions: %w", err)
	}
	cl := Claimer[*appsv1.ControllerRevision]{Owner: owner, Kind: gvk, Selector: sel, Fresh: fresh,
		Patch: func(ctx context.Context, r *appsv1.ControllerRevision, p []byte) (*appsv1.ControllerRevision, error) {
			return c.API.AppsV1().ControllerRevisions(r.Namespace).Patch(ctx, r.Name, types.StrategicMergePatchType, p, metav1.PatchOptions{})
		}}
	return cl.Claim(ctx, all)
}

// Create creates rev. When a different revision already holds its name (a
// hash collision) it bumps *collisionCount, rehashes and retries; when an
// equal one holds it, that one is returned. The collision count used is
// returned too. hashKeys are passed to New.
func (c Client) Create(ctx context.Context, owner metav1.Object, gvk schema.GroupVersionKind, labels map[string]string, data []byte, revision int64, collisionCount *int32, hashKeys ...string) (*appsv1.ControllerRevision, *int32, error) {
	for range 100 {
		rev := New(owner, gvk, labels, data, revision, collisionCount, hashKeys...)
		got, err := c.API.AppsV1().ControllerRevisions(rev.Namespace).Create(ctx, rev, metav1.CreateOptions{})
		if err == nil {
			return got, collisionCount, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, collisionCount, fmt.Errorf("create controller revision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		existing, err := c.API.AppsV1().ControllerRevisions(rev.Namespace).Get(ctx, rev.Name, metav1.GetOptions{})
		if err != nil {
			return nil, collisionCount, fmt.Errorf("get colliding controller revision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		if ref := metav1.GetControllerOfNoCopy(existing); ref != nil && ref.UID == owner.GetUID() && Equal(existing.Data.Raw, data) {
			return existing, collisionCount, nil
		}
		next := int32(1)
		if collisionCount != nil {
			next = *collisionCount + 1
		}
		collisionCount = &next
	}
	return nil, collisionCount, fmt.Errorf("create controller revision for %s/%s: too many hash collisions", owner.GetNamespace(), owner.GetName())
}

// Renumber sets rev's revision number, returning the updated revision.
func (c Client) Renumber(ctx context.Context, rev *appsv1.ControllerRevision, revision int64) (*appsv1.ControllerRevision, error) {
	if rev.Revision == revision {
		return rev, nil
	}
	next := rev.DeepCopy()
	next.Revision = revision
	got, err := c.API.AppsV1().ControllerRevisions(rev.Namespace).Update(ctx, next, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("renumber controller revision %s/%s: %w", rev.Namespace, rev.Name, err)
	}
	return got, nil
}

// Delete deletes rev; a revision already gone is not an error.
func (c Client) Delete(ctx context.Context, rev *appsv1.ControllerRevision) error {
	err := c.API.AppsV1().ControllerRevisions(rev.Namespace).Delete(ctx, rev.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &rev.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete controller revision %s/%s: %w", rev.Namespace, rev.Name, err)
	}
	return nil
}

// Ensure returns the revision holding data among revs (owned, any order),
// renumbering it to be the newest when it is not, or creates it. The
// collision count actually used is returned (it may have grown). A
// created revision gets labels plus the hash under HashLabel and hashKeys.
func (c Client) Ensure(ctx context.Context, owner metav1.Object, gvk schema.GroupVersionKind, labels map[string]string, data []byte, revs []*appsv1.ControllerRevision, collisionCount *int32, hashKeys ...string) (*appsv1.ControllerRevision, *int32, error) {
	sorted := append([]*appsv1.ControllerRevision(nil), revs...)
	Sort(sorted)
	next := Next(sorted)
	if eq := FindEqual(sorted, data); len(eq) > 0 {
		cur := eq[len(eq)-1]
		if cur.Revision == next-1 {
			return cur, collisionCount, nil
		}
		got, err := c.Renumber(ctx, cur, next)
		return got, collisionCount, err
	}
	return c.Create(ctx, owner, gvk, labels, data, next, collisionCount, hashKeys...)
}
