package history

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Claimer applies Decide to a list of objects of one resource and carries
// out the adoptions and releases, as upstream's ControllerRefManager does.
type Claimer[T metav1.Object] struct {
	Owner    metav1.Object
	Kind     schema.GroupVersionKind
	Selector labels.Selector
	// Fresh is a live read of the owner made once before the first
	// adoption; an error (owner gone, recreated or being deleted) aborts.
	Fresh func(ctx context.Context) error
	// Patch applies a strategic merge patch to obj and returns the result.
	Patch func(ctx context.Context, obj T, patch []byte) (T, error)
}

// Claim returns the objects the owner controls after adopting matching
// orphans and releasing non-matching ones. Objects that vanish meanwhile
// are skipped; other failures are joined into the error while the rest
// are still claimed.
func (c Claimer[T]) Claim(ctx context.Context, objs []T) ([]T, error) {
	var out []T
	var errs []error
	checked := false
	for _, obj := range objs {
		var patch []byte
		var err error
		switch Decide(c.Owner, obj, c.Selector) {
		case Keep:
			out = append(out, obj)
			continue
		case Ignore:
			continue
		case Adopt:
			if !checked {
				if err := c.Fresh(ctx); err != nil {
					return nil, fmt.Errorf("recheck owner before adopting: %w", err)
				}
				checked = true
			}
			patch, err = AdoptPatch(c.Owner, c.Kind, obj.GetUID())
		case Release:
			patch, err = ReleasePatch(c.Owner.GetUID(), obj.GetUID())
		}
		if err != nil {
			return nil, err
		}
		got, err := c.Patch(ctx, obj, patch)
		switch {
		case apierrors.IsNotFound(err):
		case apierrors.IsInvalid(err):
			// the uid precondition failed: the object was replaced.
		case err != nil:
			errs = append(errs, fmt.Errorf("claim %s/%s: %w", obj.GetNamespace(), obj.GetName(), err))
		case metav1.IsControlledBy(got, c.Owner):
			out = append(out, got)
		}
	}
	return out, errors.Join(errs...)
}
