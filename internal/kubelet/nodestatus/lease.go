package nodestatus

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// LeaseNamespace holds the node heartbeat Leases.
const LeaseNamespace = v1.NamespaceNodeLease

// leaseKeeper renews one node's Lease, caching the last written object so a
// renewal is a single update.
type leaseKeeper struct {
	client   kubernetes.Interface
	node     string
	duration int32
	clock    clock.PassiveClock
	latest   *coordinationv1.Lease
}

// renew creates or updates the Lease with renewTime now; nodeUID, when
// known, makes the Node the Lease's owner so it goes away with the Node.
func (l *leaseKeeper) renew(ctx context.Context, nodeUID types.UID) error {
	leases := l.client.CoordinationV1().Leases(LeaseNamespace)
	if l.latest == nil {
		cur, err := leases.Get(ctx, l.node, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			created, err := leases.Create(ctx, l.desired(nil, nodeUID), metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("create lease %s/%s: %w", LeaseNamespace, l.node, err)
			}
			l.latest = created
			return nil
		case err != nil:
			return fmt.Errorf("get lease %s/%s: %w", LeaseNamespace, l.node, err)
		}
		l.latest = cur
	}
	updated, err := leases.Update(ctx, l.desired(l.latest, nodeUID), metav1.UpdateOptions{})
	if err != nil {
		l.latest = nil // re-read next time (conflict, deleted, …)
		return fmt.Errorf("renew lease %s/%s: %w", LeaseNamespace, l.node, err)
	}
	l.latest = updated
	return nil
}

// desired is base (nil: a new Lease) with the holder, duration, renew time
// and owner set.
func (l *leaseKeeper) desired(base *coordinationv1.Lease, nodeUID types.UID) *coordinationv1.Lease {
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: l.node, Namespace: LeaseNamespace}}
	if base != nil {
		lease = base.DeepCopy()
	}
	lease.Spec.HolderIdentity = ptr.To(l.node)
	lease.Spec.LeaseDurationSeconds = ptr.To(l.duration)
	lease.Spec.RenewTime = &metav1.MicroTime{Time: l.clock.Now()}
	if nodeUID != "" {
		lease.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: l.node,
			UID: nodeUID}}
	}
	return lease
}
