package apiserver

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota"
	"github.com/capstan/capstan/internal/storage"
)

var _ resourcequota.StatusWriter = storeLookup{}

// UpdateQuotaStatus implements resourcequota.StatusWriter: the
// ResourceQuota admission plugin records the usage it admits by replacing
// the stored quota's status, only if the stored quota still has q's
// resourceVersion (409 Conflict otherwise), as upstream's plugin does with
// an UpdateStatus through its loopback client. Admission reads quotas from
// the watch cache: both the written version and, on a conflict, the stored
// one are recorded so that the plugin's next read waits for them rather
// than conflicting again on a stale copy.
func (l storeLookup) UpdateQuotaStatus(ctx context.Context, q *corev1.ResourceQuota) (*corev1.ResourceQuota, error) {
	gr := corev1.Resource("resourcequotas")
	res, err := l.resource(corev1.SchemeGroupVersion.WithResource("resourcequotas"))
	if err != nil {
		return nil, err
	}
	out, err := l.s.store.GuaranteedUpdate(ctx, res.key(q.Namespace, q.Name), nil, func(cur runtime.Object) (runtime.Object, bool, error) {
		stored, ok := cur.(*corev1.ResourceQuota)
		if !ok {
			return nil, false, fmt.Errorf("stored quota is a %T", cur)
		}
		if stored.ResourceVersion != q.ResourceVersion {
			l.s.noteWrite(res, stored)
			return nil, false, apierrors.NewConflict(gr, q.Name,
				errors.New("the object has been modified; please apply your changes to the latest version and try again"))
		}
		next := stored.DeepCopy()
		q.Status.DeepCopyInto(&next.Status)
		return next, false, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, apierrors.NewNotFound(gr, q.Name)
	}
	if err != nil {
		var status apierrors.APIStatus
		if errors.As(err, &status) {
			return nil, err
		}
		return nil, fmt.Errorf("update status of quota %s/%s: %w", q.Namespace, q.Name, err)
	}
	stored, ok := out.(*corev1.ResourceQuota)
	if !ok {
		return nil, fmt.Errorf("stored quota is a %T", out)
	}
	l.s.noteWrite(res, stored)
	return stored, nil
}
