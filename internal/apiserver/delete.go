package apiserver

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/storage"
)

// deleteOptions reads DeleteOptions from the body (if any) and the query.
func (s *Server) deleteOptions(rq *request) (*metav1.DeleteOptions, error) {
	opts := &metav1.DeleteOptions{}
	body, err := s.readBody(rq)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		info, ok := contentSerializer(s.codecs, rq.r.Header.Get("Content-Type"))
		if !ok {
			return nil, errUnsupportedMedia(rq.r.Header.Get("Content-Type"), mediaJSON, mediaYAML, mediaProtobuf)
		}
		def := schema.GroupVersionKind{Version: "v1", Kind: "DeleteOptions"}
		obj, _, err := info.Serializer.Decode(body, &def, opts)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid DeleteOptions: %v", err))
		}
		if opts, ok = obj.(*metav1.DeleteOptions); !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the body of a delete must be DeleteOptions, not %T", obj))
		}
	}
	if v := rq.q.Get("gracePeriodSeconds"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		opts.GracePeriodSeconds = &n
	}
	if v := rq.q.Get("propagationPolicy"); v != "" {
		p := metav1.DeletionPropagation(v)
		opts.PropagationPolicy = &p
	}
	if v := rq.q.Get("orphanDependents"); v != "" {
		b := boolParam(rq.q, "orphanDependents")
		opts.OrphanDependents = &b
	}
	if opts.OrphanDependents != nil && opts.PropagationPolicy != nil {
		return nil, apierrors.NewBadRequest("orphanDependents and propagationPolicy cannot both be set")
	}
	if opts.OrphanDependents != nil {
		p := metav1.DeletePropagationBackground
		if *opts.OrphanDependents {
			p = metav1.DeletePropagationOrphan
		}
		opts.PropagationPolicy = &p
	}
	if opts.GracePeriodSeconds != nil && *opts.GracePeriodSeconds < 0 {
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	}
	if len(rq.q["dryRun"]) > 0 {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return opts, nil
}

// protectedNamespace reports namespaces upstream refuses to delete.
func protectedNamespace(name string) bool {
	return name == metav1.NamespaceDefault || name == metav1.NamespaceSystem || name == metav1.NamespacePublic
}

func (s *Server) delete(rq *request) error {
	opts, err := s.deleteOptions(rq)
	if err != nil {
		return err
	}
	if rq.res.GVK.Kind == "Namespace" && protectedNamespace(rq.ri.name) {
		return apierrors.NewForbidden(rq.gr(), rq.ri.name, fmt.Errorf("this namespace may not be deleted"))
	}
	out, deleted, err := s.deleteOne(rq, rq.ri.namespace, rq.ri.name, opts)
	if err != nil {
		return err
	}
	if out, err = rq.res.present(out); err != nil {
		return err
	}
	// An object that remains (or a pod, as upstream) is returned itself;
	// other deletions answer with a success Status.
	if !deleted || rq.res.GVK.Kind == "Pod" {
		return s.writeObject(rq, http.StatusOK, out)
	}
	st := statusSuccess(&metav1.StatusDetails{Name: rq.ri.name, Group: rq.res.GVK.Group, Kind: rq.res.Plural, UID: uidOf(out)})
	s.writeRaw(rq.w, rq.acc, http.StatusOK, st)
	return nil
}

// deleteOne deletes one object with upstream semantics: preconditions,
// graceful pod deletion, finalizers and propagation. deleted is false when
// the object remains, marked with a deletionTimestamp.
func (s *Server) deleteOne(rq *request, namespace, name string, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	key := rq.res.key(namespace, name)
	deleteNow := false
	var dry runtime.Object
	out, err := s.store.GuaranteedUpdate(rq.ctx, key, s.caches.suggestion(rq.res, key), func(cur runtime.Object) (runtime.Object, bool, error) {
		if err := checkPreconditions(rq, cur, opts.Preconditions); err != nil {
			return nil, false, err
		}
		next := cur.DeepCopyObject()
		deleteNow = s.markDeleting(rq.res, next, opts)
		if len(opts.DryRun) > 0 {
			dry = next
			return nil, false, errDryRun
		}
		return next, deleteNow, nil
	})
	if dry != nil {
		return dry, deleteNow, nil
	}
	if err != nil {
		return nil, false, storageError(err, rq.gr(), name)
	}
	s.noteWrite(rq.res, out)
	if deleteNow {
		s.releaseAllocations(rq.ctx, out)
	}
	return out, deleteNow, nil
}

func checkPreconditions(rq *request, cur runtime.Object, p *metav1.Preconditions) error {
	if p == nil {
		return nil
	}
	m := metaOf(cur)
	if p.UID != nil && *p.UID != m.GetUID() {
		return apierrors.NewConflict(rq.gr(), m.GetName(), fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, m.GetUID()))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
		return apierrors.NewConflict(rq.gr(), m.GetName(), fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, m.GetResourceVersion()))
	}
	return nil
}

// markDeleting applies a delete request to obj in place and reports whether
// it can be removed now. Objects with finalizers, pods given a grace period
// on a node, foreground/orphan propagation and namespaces stay, marked with
// a deletionTimestamp, for their finalizers or the kubelet to finish.
func (s *Server) markDeleting(res *Resource, obj runtime.Object, opts *metav1.DeleteOptions) bool {
	m := metaOf(obj)
	now := metav1.NewTime(s.clock.Now().Truncate(1e9))
	grace := int64(0)
	if pod, ok := obj.(*corev1.Pod); ok {
		grace = podGrace(pod, opts)
	}
	finalizers := m.GetFinalizers()
	if p := opts.PropagationPolicy; p != nil && (*p == metav1.DeletePropagationForeground || *p == metav1.DeletePropagationOrphan) {
		f := metav1.FinalizerDeleteDependents
		if *p == metav1.DeletePropagationOrphan {
			f = metav1.FinalizerOrphanDependents
		}
		if m.GetDeletionTimestamp() == nil && !slices.Contains(finalizers, f) {
			finalizers = append(finalizers, f)
			m.SetFinalizers(finalizers)
		}
	}
	if ns, ok := obj.(*corev1.Namespace); ok {
		ns.Status.Phase = corev1.NamespaceTerminating
		if len(ns.Spec.Finalizers) > 0 {
			grace = -1 // held by the namespace controller
		}
	}
	if m.GetDeletionTimestamp() == nil {
		ts := now
		if grace > 0 {
			ts = metav1.NewTime(now.Add(secondsDuration(grace)))
		}
		m.SetDeletionTimestamp(&ts)
		g := max(grace, 0)
		m.SetDeletionGracePeriodSeconds(&g)
		if res.hasSpec {
			m.SetGeneration(m.GetGeneration() + 1)
		}
	} else if cur := m.GetDeletionGracePeriodSeconds(); grace >= 0 && cur != nil && grace < *cur {
		// A shorter grace period replaces a longer one.
		ts := metav1.NewTime(now.Add(secondsDuration(grace)))
		m.SetDeletionTimestamp(&ts)
		m.SetDeletionGracePeriodSeconds(&grace)
	}
	return grace == 0 && len(finalizers) == 0
}

// podGrace is the grace period a pod deletion gets: none for pods that never
// ran on a node or have finished, else the request's or the pod's own.
func podGrace(pod *corev1.Pod, opts *metav1.DeleteOptions) int64 {
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0
	}
	if opts.GracePeriodSeconds != nil {
		return *opts.GracePeriodSeconds
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

func (s *Server) deleteCollection(rq *request) error {
	opts, err := s.deleteOptions(rq)
	if err != nil {
		return err
	}
	sel, err := s.parseSelection(rq)
	if err != nil {
		return err
	}
	res, err := s.store.List(rq.ctx, rq.res.collectionKey(rq.ri.namespace), storage.ListOptions{Filter: sel.storedFilter(rq.res)})
	if err != nil {
		return storageError(err, rq.gr(), "")
	}
	var deleted []runtime.Object
	for _, obj := range res.Items {
		m := metaOf(obj)
		out, _, err := s.deleteOne(rq, m.GetNamespace(), m.GetName(), opts)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		deleted = append(deleted, out)
	}
	if err := presentAll(rq.res, deleted); err != nil {
		return err
	}
	list, err := s.newList(rq.res, deleted)
	if err != nil {
		return err
	}
	s.writeRaw(rq.w, rq.acc, http.StatusOK, list)
	return nil
}
