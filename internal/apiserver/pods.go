package apiserver

import (
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/storage"
)

// createBinding serves pods/binding (and the bindings collection): it sets
// spec.nodeName of an unassigned pod and marks it scheduled.
func (s *Server) createBinding(rq *request, namespace, podName string) error {
	obj, err := s.decodeBody(rq, corev1.SchemeGroupVersion.WithKind("Binding"))
	if err != nil {
		return err
	}
	b := obj.(*corev1.Binding)
	if podName == "" {
		podName = b.Name
	}
	if b.Name != podName {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the binding (%s) does not match the name of the pod (%s)", b.Name, podName))
	}
	if b.Namespace != "" && b.Namespace != namespace {
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		return apierrors.NewInvalid(schema.GroupKind{Kind: "Binding"}, b.Name, fieldErrs("target.kind", b.Target.Kind, "must be empty or 'Node'"))
	}
	if b.Target.Name == "" {
		return apierrors.NewInvalid(schema.GroupKind{Kind: "Binding"}, b.Name, fieldErrs("target.name", "", "must be set"))
	}
	pods := s.byGVR[corev1.SchemeGroupVersion.WithResource("pods")]
	gr := pods.GroupResource()
	_, err = s.store.GuaranteedUpdate(rq.ctx, pods.key(namespace, podName), func(cur runtime.Object) (runtime.Object, bool, error) {
		pod := cur.(*corev1.Pod).DeepCopy()
		if pod.DeletionTimestamp != nil {
			return nil, false, apierrors.NewConflict(gr, podName, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", podName))
		}
		if pod.Spec.NodeName != "" {
			return nil, false, apierrors.NewConflict(gr, podName, fmt.Errorf("pod %v is already assigned to node %q", podName, pod.Spec.NodeName))
		}
		if b.UID != "" && b.UID != pod.UID {
			return nil, false, apierrors.NewConflict(gr, podName, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", b.UID, pod.UID))
		}
		pod.Spec.NodeName = b.Target.Name
		for k, v := range b.Annotations {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[k] = v
		}
		setPodCondition(&pod.Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(s.clock.Now().Truncate(1e9))})
		return pod, false, nil
	})
	if err != nil {
		return storageError(err, gr, podName)
	}
	s.writeRaw(rq.w, rq.acc, http.StatusCreated, statusSuccess(nil))
	return nil
}

func setPodCondition(st *corev1.PodStatus, c corev1.PodCondition) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == c.Type {
			if st.Conditions[i].Status == c.Status {
				c.LastTransitionTime = st.Conditions[i].LastTransitionTime
			}
			st.Conditions[i] = c
			return
		}
	}
	st.Conditions = append(st.Conditions, c)
}

// evict serves pods/eviction: it deletes the pod unless a
// PodDisruptionBudget covering it allows no disruption now.
func (s *Server) evict(rq *request) error {
	obj, err := s.decodeBody(rq, policyv1.SchemeGroupVersion.WithKind("Eviction"))
	if err != nil {
		return err
	}
	ev := obj.(*policyv1.Eviction)
	if ev.Name != "" && ev.Name != rq.ri.name {
		return apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	cur, err := s.store.Get(rq.ctx, rq.res.key(rq.ri.namespace, rq.ri.name))
	if err != nil {
		return storageError(err, rq.gr(), rq.ri.name)
	}
	pod := cur.(*corev1.Pod)
	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	if !terminal && pod.DeletionTimestamp == nil {
		if err := s.checkDisruptionBudgets(rq, pod); err != nil {
			return err
		}
	}
	opts := ev.DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	if _, _, err := s.deleteOne(rq, rq.ri.namespace, rq.ri.name, opts); err != nil {
		return err
	}
	s.writeRaw(rq.w, rq.acc, http.StatusCreated, statusSuccess(nil))
	return nil
}

// checkDisruptionBudgets returns 429 when a budget selecting pod allows no
// disruption, as upstream's eviction does.
func (s *Server) checkDisruptionBudgets(rq *request, pod *corev1.Pod) error {
	pdbs := s.byGVR[policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets")]
	res, err := s.store.List(rq.ctx, pdbs.collectionKey(pod.Namespace), storage.ListOptions{})
	if err != nil {
		return storageError(err, pdbs.GroupResource(), "")
	}
	for _, o := range res.Items {
		pdb := o.(*policyv1.PodDisruptionBudget)
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		msg := ""
		switch {
		case pdb.Status.ObservedGeneration < pdb.Generation:
			msg = "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget " + pdb.Name + " is still being processed by the server."
		case pdb.Status.DisruptionsAllowed <= 0:
			msg = fmt.Sprintf("Cannot evict pod as it would violate the pod's disruption budget. The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)
		default:
			continue
		}
		tooMany := apierrors.NewTooManyRequests(msg, 10)
		tooMany.ErrStatus.Details.Causes = append(tooMany.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: msg})
		return tooMany
	}
	return nil
}
