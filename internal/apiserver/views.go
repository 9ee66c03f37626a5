package apiserver

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// view is how one (sub)resource presents a stored object to clients and how
// a client's version of it becomes the next stored object.
type view interface {
	// kind is what clients send and receive.
	kind(res *Resource) schema.GroupVersionKind
	// extract returns the client's view of the stored object cur.
	extract(cur runtime.Object) (runtime.Object, error)
	// apply returns the next stored object given the current one and the
	// client's new view. It may modify in, not cur.
	apply(res *Resource, cur, in runtime.Object) (runtime.Object, error)
}

func viewOf(res *Resource, sub string) (view, error) {
	switch sub {
	case "":
		return mainView{}, nil
	case "status":
		return fieldView{field: "Status"}, nil
	case "scale":
		return scaleView{}, nil
	case "finalize":
		return finalizeView{}, nil
	case "approval":
		return approvalView{}, nil
	}
	return nil, apierrors.NewNotFound(res.GroupResource(), sub)
}

// mainView is the object itself; changes to status are ignored when the
// resource has a status subresource.
type mainView struct{}

func (mainView) kind(res *Resource) schema.GroupVersionKind         { return res.GVK }
func (mainView) extract(cur runtime.Object) (runtime.Object, error) { return cur, nil }
func (mainView) apply(res *Resource, cur, in runtime.Object) (runtime.Object, error) {
	if res.Has("status") {
		copyField(in, cur, "Status")
	}
	return in, nil
}

// fieldView is the status subresource: only the named field of the client's
// object is taken, everything else stays as stored.
type fieldView struct{ field string }

func (fieldView) kind(res *Resource) schema.GroupVersionKind         { return res.GVK }
func (fieldView) extract(cur runtime.Object) (runtime.Object, error) { return cur, nil }
func (v fieldView) apply(_ *Resource, cur, in runtime.Object) (runtime.Object, error) {
	next := cur.DeepCopyObject()
	copyField(next, in, v.field)
	// The client's resourceVersion is kept for the conflict check.
	metaOf(next).SetResourceVersion(metaOf(in).GetResourceVersion())
	return next, nil
}

// finalizeView is namespaces/finalize: only spec.finalizers changes.
type finalizeView struct{}

func (finalizeView) kind(res *Resource) schema.GroupVersionKind         { return res.GVK }
func (finalizeView) extract(cur runtime.Object) (runtime.Object, error) { return cur, nil }
func (finalizeView) apply(_ *Resource, cur, in runtime.Object) (runtime.Object, error) {
	ns, ok := in.(*corev1.Namespace)
	if !ok {
		return nil, apierrors.NewBadRequest("finalize takes a Namespace")
	}
	next := cur.DeepCopyObject().(*corev1.Namespace)
	next.Spec.Finalizers = ns.Spec.Finalizers
	next.ResourceVersion = ns.ResourceVersion
	return next, nil
}

// approvalView is certificatesigningrequests/approval: only the Approved and
// Denied conditions change.
type approvalView struct{}

func (approvalView) kind(res *Resource) schema.GroupVersionKind         { return res.GVK }
func (approvalView) extract(cur runtime.Object) (runtime.Object, error) { return cur, nil }
func (approvalView) apply(_ *Resource, cur, in runtime.Object) (runtime.Object, error) {
	csr, ok := in.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return nil, apierrors.NewBadRequest("approval takes a CertificateSigningRequest")
	}
	next := cur.DeepCopyObject().(*certificatesv1.CertificateSigningRequest)
	next.Status.Conditions = csr.Status.Conditions
	next.ResourceVersion = csr.ResourceVersion
	return next, nil
}

// scaleView is the scale subresource as autoscaling/v1 Scale.
type scaleView struct{}

func (scaleView) kind(res *Resource) schema.GroupVersionKind {
	gvk, _ := res.subresourceInfo("scale")
	return gvk
}

func (scaleView) extract(cur runtime.Object) (runtime.Object, error) {
	var spec int32
	var status int32
	var sel *metav1.LabelSelector
	switch o := cur.(type) {
	case *appsv1.Deployment:
		spec, status, sel = derefReplicas(o.Spec.Replicas), o.Status.Replicas, o.Spec.Selector
	case *appsv1.ReplicaSet:
		spec, status, sel = derefReplicas(o.Spec.Replicas), o.Status.Replicas, o.Spec.Selector
	case *appsv1.StatefulSet:
		spec, status, sel = derefReplicas(o.Spec.Replicas), o.Status.Replicas, o.Spec.Selector
	case *corev1.ReplicationController:
		spec, status = derefReplicas(o.Spec.Replicas), o.Status.Replicas
		sel = &metav1.LabelSelector{MatchLabels: o.Spec.Selector}
	default:
		return nil, apierrors.NewInternalError(fmt.Errorf("no scale for %T", cur))
	}
	m := metaOf(cur)
	sc := &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp()},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status},
	}
	if sel != nil {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err == nil {
			sc.Status.Selector = s.String()
		}
	}
	return sc, nil
}

func (scaleView) apply(_ *Resource, cur, in runtime.Object) (runtime.Object, error) {
	sc, ok := in.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest("scale takes an autoscaling/v1 Scale")
	}
	n := sc.Spec.Replicas
	next := cur.DeepCopyObject()
	switch o := next.(type) {
	case *appsv1.Deployment:
		o.Spec.Replicas = &n
	case *appsv1.ReplicaSet:
		o.Spec.Replicas = &n
	case *appsv1.StatefulSet:
		o.Spec.Replicas = &n
	case *corev1.ReplicationController:
		o.Spec.Replicas = &n
	}
	metaOf(next).SetResourceVersion(sc.ResourceVersion)
	return next, nil
}

func derefReplicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
