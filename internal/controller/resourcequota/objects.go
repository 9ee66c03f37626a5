package resourcequota

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// objects returns the objects of gr in namespace: from the informers for
// pods, services and claims, else from a metadata-only list (enough to
// count them).
func (c *Controller) objects(ctx context.Context, namespace string, gr schema.GroupResource) ([]runtime.Object, error) {
	switch gr {
	case corev1.Resource("pods"):
		l, err := c.pods.Pods(namespace).List(labels.Everything())
		return toObjects(l), wrapList(gr, err)
	case corev1.Resource("services"):
		l, err := c.services.Services(namespace).List(labels.Everything())
		return toObjects(l), wrapList(gr, err)
	case corev1.Resource("persistentvolumeclaims"):
		l, err := c.claims.PersistentVolumeClaims(namespace).List(labels.Everything())
		return toObjects(l), wrapList(gr, err)
	}
	if c.metadata == nil || c.mapper == nil {
		return nil, fmt.Errorf("count %s: no metadata client", gr)
	}
	gvr, err := c.resolve(gr)
	if err != nil {
		return nil, err
	}
	list, err := c.metadata.Resource(gvr).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, wrapList(gr, err)
	}
	out := make([]runtime.Object, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// resolve finds the served version of gr, refreshing discovery once when
// it is unknown (a CRD installed since).
func (c *Controller) resolve(gr schema.GroupResource) (schema.GroupVersionResource, error) {
	gvr, err := c.mapper.ResourceFor(gr.WithVersion(""))
	if err != nil && meta.IsNoMatchError(err) {
		c.mapper.Reset()
		gvr, err = c.mapper.ResourceFor(gr.WithVersion(""))
	}
	if err != nil {
		return schema.GroupVersionResource{}, fmt.Errorf("resolve %s: %w", gr, err)
	}
	return gvr, nil
}

func toObjects[T runtime.Object](l []T) []runtime.Object {
	out := make([]runtime.Object, len(l))
	for i, o := range l {
		out[i] = o
	}
	return out
}

func wrapList(gr schema.GroupResource, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("list %s: %w", gr, err)
}
