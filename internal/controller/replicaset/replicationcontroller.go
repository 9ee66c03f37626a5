package replicaset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// replicationControllers adapts core/v1 ReplicationControllers to the
// ReplicaSet view: the map selector becomes matchLabels, the status and its
// ReplicaFailure condition map field by field.
type replicationControllers struct {
	client kubernetes.Interface
	inf    coreinformers.ReplicationControllerInformer
	lister corelisters.ReplicationControllerLister
}

var _ workload = replicationControllers{}

func (replicationControllers) gvk() schema.GroupVersionKind {
	return corev1.SchemeGroupVersion.WithKind("ReplicationController")
}
func (w replicationControllers) informer() cache.SharedIndexInformer { return w.inf.Informer() }
func (replicationControllers) view(obj any) (*appsv1.ReplicaSet, bool) {
	rc, ok := obj.(*corev1.ReplicationController)
	if !ok {
		return nil, false
	}
	return rsFromRC(rc), true
}
func (w replicationControllers) get(ns, name string) (*appsv1.ReplicaSet, error) {
	rc, err := w.lister.ReplicationControllers(ns).Get(name)
	if err != nil {
		return nil, err
	}
	return rsFromRC(rc), nil
}
func (w replicationControllers) list(ns string) ([]*appsv1.ReplicaSet, error) {
	rcs, err := w.lister.ReplicationControllers(ns).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	out := make([]*appsv1.ReplicaSet, len(rcs))
	for i, rc := range rcs {
		out[i] = rsFromRC(rc)
	}
	return out, nil
}
func (w replicationControllers) getLive(ctx context.Context, ns, name string) (*appsv1.ReplicaSet, error) {
	rc, err := w.client.CoreV1().ReplicationControllers(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get replicationcontroller %s/%s: %w", ns, name, err)
	}
	return rsFromRC(rc), nil
}
func (w replicationControllers) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	out, err := w.client.CoreV1().ReplicationControllers(rs.Namespace).UpdateStatus(ctx, rcFromRS(rs), metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("update status of replicationcontroller %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	return rsFromRC(out), nil
}
func (replicationControllers) eventObject(rs *appsv1.ReplicaSet) runtime.Object { return rcFromRS(rs) }
func (replicationControllers) normalize(st *appsv1.ReplicaSetStatus)            { st.TerminatingReplicas = nil }

// rsFromRC is the ReplicaSet view of rc; it shares no memory with rc that
// the controller writes to (the template and selector are copied).
func rsFromRC(rc *corev1.ReplicationController) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{
		ObjectMeta: *rc.ObjectMeta.DeepCopy(),
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        rc.Spec.Replicas,
			MinReadySeconds: rc.Spec.MinReadySeconds,
			Selector:        &metav1.LabelSelector{MatchLabels: rc.Spec.Selector},
		},
		Status: appsv1.ReplicaSetStatus{
			Replicas: rc.Status.Replicas, FullyLabeledReplicas: rc.Status.FullyLabeledReplicas,
			ReadyReplicas: rc.Status.ReadyReplicas, AvailableReplicas: rc.Status.AvailableReplicas,
			ObservedGeneration: rc.Status.ObservedGeneration,
		},
	}
	if rc.Spec.Template != nil {
		rs.Spec.Template = *rc.Spec.Template.DeepCopy()
	}
	for _, c := range rc.Status.Conditions {
		rs.Status.Conditions = append(rs.Status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rs
}

// rcFromRS converts a ReplicaSet view back; terminatingReplicas has no
// ReplicationController field and is dropped.
func rcFromRS(rs *appsv1.ReplicaSet) *corev1.ReplicationController {
	tmpl := rs.Spec.Template.DeepCopy()
	rc := &corev1.ReplicationController{
		ObjectMeta: *rs.ObjectMeta.DeepCopy(),
		Spec: corev1.ReplicationControllerSpec{
			Replicas: rs.Spec.Replicas, MinReadySeconds: rs.Spec.MinReadySeconds, Template: tmpl,
		},
		Status: corev1.ReplicationControllerStatus{
			Replicas: rs.Status.Replicas, FullyLabeledReplicas: rs.Status.FullyLabeledReplicas,
			ReadyReplicas: rs.Status.ReadyReplicas, AvailableReplicas: rs.Status.AvailableReplicas,
			ObservedGeneration: rs.Status.ObservedGeneration,
		},
	}
	if rs.Spec.Selector != nil {
		rc.Spec.Selector = rs.Spec.Selector.MatchLabels
	}
	for _, c := range rs.Status.Conditions {
		rc.Status.Conditions = append(rc.Status.Conditions, corev1.ReplicationControllerCondition{
			Type: corev1.ReplicationControllerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rc
}
