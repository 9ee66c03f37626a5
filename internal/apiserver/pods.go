package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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
	key := pods.key(namespace, podName)
	_, err = s.store.GuaranteedUpdate(rq.ctx, key, s.caches.suggestion(pods, key), func(cur runtime.Object) (runtime.Object, bool, error) {
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
	opts := ev.DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	if !terminal && pod.DeletionTimestamp == nil {
		if err := s.checkDisruptionBudgets(rq, pod, len(opts.DryRun) > 0 || dryRun(rq)); err != nil {
			return err
		}
	}
	if _, _, err := s.deleteOne(rq, rq.ri.namespace, rq.ri.name, opts); err != nil {
		return err
	}
	s.writeRaw(rq.w, rq.acc, http.StatusCreated, statusSuccess(nil))
	return nil
}

// checkDisruptionBudgets admits an eviction as upstream does: with no
// budget selecting the pod it goes ahead; with one, the budget must allow a
// disruption, which the eviction then consumes (disruptionsAllowed-1 and
// status.disruptedPods[pod]) so concurrent evictions cannot overrun it;
// more than one budget is an error.
func (s *Server) checkDisruptionBudgets(rq *request, pod *corev1.Pod, dry bool) error {
	pdbs := s.byGVR[policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets")]
	res, err := s.store.List(rq.ctx, pdbs.collectionKey(pod.Namespace), storage.ListOptions{})
	if err != nil {
		return storageError(err, pdbs.GroupResource(), "")
	}
	var match []*policyv1.PodDisruptionBudget
	for _, o := range res.Items {
		pdb := o.(*policyv1.PodDisruptionBudget)
		if pdb.Spec.Selector == nil {
			continue // nil selects nothing; {} selects every pod (policy/v1)
		}
		if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil && sel.Matches(labels.Set(pod.Labels)) {
			match = append(match, pdb)
		}
	}
	switch {
	case len(match) == 0:
		return nil
	case len(match) > 1:
		return apierrors.NewInternalError(errors.New("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."))
	}
	pdb := match[0]
	if !podReady(pod) && (ptrValue(pdb.Spec.UnhealthyPodEvictionPolicy) == policyv1.AlwaysAllow || pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy) {
		return nil // an unhealthy pod does not count against a satisfied budget
	}
	_, err = s.store.GuaranteedUpdate(rq.ctx, pdbs.key(pdb.Namespace, pdb.Name), nil, func(cur runtime.Object) (runtime.Object, bool, error) {
		next := cur.(*policyv1.PodDisruptionBudget).DeepCopy()
		if err := consumeDisruption(next, pod.Name, s.clock.Now()); err != nil {
			return nil, false, err
		}
		if dry {
			return nil, false, errDryRunDone
		}
		return next, false, nil
	})
	if errors.Is(err, errDryRunDone) {
		return nil
	}
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return err
	}
	if err != nil {
		return storageError(err, pdbs.GroupResource(), pdb.Name)
	}
	return nil
}

// errDryRunDone ends a dry-run budget update after its checks.
var errDryRunDone = errors.New("dry run")

// maxDisruptedPods bounds status.disruptedPods, as upstream.
const maxDisruptedPods = 2000

// consumeDisruption checks a budget and takes one disruption from it.
func consumeDisruption(pdb *policyv1.PodDisruptionBudget, podName string, now time.Time) error {
	refuse := func(cause string) error {
		err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: cause})
		return err
	}
	gr := policyv1.Resource("poddisruptionbudget")
	switch {
	case pdb.Status.ObservedGeneration < pdb.Generation:
		return refuse(fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdb.Name))
	case pdb.Status.DisruptionsAllowed < 0:
		return apierrors.NewForbidden(gr, pdb.Name, errors.New("pdb disruptions allowed is negative"))
	case len(pdb.Status.DisruptedPods) > maxDisruptedPods:
		return apierrors.NewForbidden(gr, pdb.Name, errors.New("DisruptedPods map too big - too many evictions not confirmed by PDB controller"))
	case pdb.Status.DisruptionsAllowed == 0:
		return refuse(fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy))
	}
	pdb.Status.DisruptionsAllowed--
	if pdb.Status.DisruptionsAllowed == 0 {
		meta.SetStatusCondition(&pdb.Status.Conditions, metav1.Condition{Type: policyv1.DisruptionAllowedCondition,
			Status: metav1.ConditionFalse, Reason: policyv1.InsufficientPodsReason, ObservedGeneration: pdb.Status.ObservedGeneration})
	}
	if pdb.Status.DisruptedPods == nil {
		pdb.Status.DisruptedPods = map[string]metav1.Time{}
	}
	pdb.Status.DisruptedPods[podName] = metav1.NewTime(now)
	return nil
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
