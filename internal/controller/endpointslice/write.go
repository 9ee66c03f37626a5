package endpointslice

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Writer applies Plans through the API and records every write in its
// Tracker under the owner's key.
type Writer struct {
	Client  kubernetes.Interface
	Tracker *Tracker
}

// Apply writes plan (creates, then updates, then deletes). It stops at the
// first failure; the caller retries, replanning from its cache. A create
// refused because the namespace is terminating ends the apply quietly.
func (w Writer) Apply(ctx context.Context, key string, plan Plan) error {
	api := func(ns string) interface {
		Create(context.Context, *discoveryv1.EndpointSlice, metav1.CreateOptions) (*discoveryv1.EndpointSlice, error)
		Update(context.Context, *discoveryv1.EndpointSlice, metav1.UpdateOptions) (*discoveryv1.EndpointSlice, error)
		Delete(context.Context, string, metav1.DeleteOptions) error
	} {
		return w.Client.DiscoveryV1().EndpointSlices(ns)
	}
	for _, s := range plan.Create {
		got, err := api(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
		if err != nil {
			if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				return nil
			}
			return fmt.Errorf("create endpointslice for %s: %w", key, err)
		}
		w.Tracker.Wrote(key, got)
	}
	for _, s := range plan.Update {
		got, err := api(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update endpointslice %s/%s: %w", s.Namespace, s.Name, err)
		}
		w.Tracker.Wrote(key, got)
	}
	for _, s := range plan.Delete {
		uid := s.UID
		err := api(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete endpointslice %s/%s: %w", s.Namespace, s.Name, err)
		}
		w.Tracker.Deleted(key, uid)
	}
	return nil
}
