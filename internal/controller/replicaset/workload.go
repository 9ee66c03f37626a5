package replicaset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
)

// workload adapts the API kind the controller manages (ReplicaSet or
// ReplicationController) to the ReplicaSet view its logic works on.
// Objects it returns from caches must not be mutated.
type workload interface {
	gvk() schema.GroupVersionKind
	informer() cache.SharedIndexInformer
	// view returns the ReplicaSet view of an informer object, false if the
	// object is not of the managed kind.
	view(obj any) (*appsv1.ReplicaSet, bool)
	get(ns, name string) (*appsv1.ReplicaSet, error)
	list(ns string) ([]*appsv1.ReplicaSet, error)
	getLive(ctx context.Context, ns, name string) (*appsv1.ReplicaSet, error)
	// updateStatus writes rs.Status (rs carries its resourceVersion).
	updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error)
	// eventObject is the object events about rs are recorded on.
	eventObject(rs *appsv1.ReplicaSet) runtime.Object
	// normalize drops status fields the kind cannot store, so that an
	// unchanged status compares equal and is not rewritten.
	normalize(st *appsv1.ReplicaSetStatus)
}

// replicaSets is the identity adapter for apps/v1 ReplicaSets.
type replicaSets struct {
	client kubernetes.Interface
	inf    appsinformers.ReplicaSetInformer
	lister appslisters.ReplicaSetLister
}

var _ workload = replicaSets{}

func (replicaSets) gvk() schema.GroupVersionKind {
	return appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
}
func (w replicaSets) informer() cache.SharedIndexInformer { return w.inf.Informer() }
func (replicaSets) view(obj any) (*appsv1.ReplicaSet, bool) {
	rs, ok := obj.(*appsv1.ReplicaSet)
	return rs, ok
}
func (w replicaSets) get(ns, name string) (*appsv1.ReplicaSet, error) {
	return w.lister.ReplicaSets(ns).Get(name)
}
func (w replicaSets) list(ns string) ([]*appsv1.ReplicaSet, error) {
	return w.lister.ReplicaSets(ns).List(labels.Everything())
}
func (w replicaSets) getLive(ctx context.Context, ns, name string) (*appsv1.ReplicaSet, error) {
	rs, err := w.client.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get replicaset %s/%s: %w", ns, name, err)
	}
	return rs, nil
}
func (w replicaSets) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	out, err := w.client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("update status of replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	return out, nil
}
func (replicaSets) eventObject(rs *appsv1.ReplicaSet) runtime.Object { return rs }
func (replicaSets) normalize(*appsv1.ReplicaSetStatus)               {}
