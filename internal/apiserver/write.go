package apiserver

import (
	"errors"
	"fmt"
	"net/http"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver/admission"
)

func dryRun(rq *request) bool { return len(rq.q["dryRun"]) > 0 }

func (s *Server) create(rq *request) error {
	obj, err := s.decodeBody(rq, rq.res.GVK)
	if err != nil {
		return err
	}
	return s.createObject(rq, obj, true)
}

// createObject stores obj, a new object in the resource's version as a
// client sent (or applied) it: field ownership (when track), defaulting,
// server-owned metadata, validation, namespace checks, allocations, then the
// store.
func (s *Server) createObject(rq *request, obj runtime.Object, track bool) error {
	var err error
	if ns := metaOf(obj).GetNamespace(); rq.res.Namespaced && ns != "" && ns != rq.ri.namespace {
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if track {
		if obj, err = s.trackFields(rq, nil, obj); err != nil {
			return err
		}
	}
	apis.Default(obj)
	if obj, err = rq.res.toStored(obj); err != nil {
		return err
	}
	attrs := admissionAttributes(rq, admission.Create, obj, nil)
	attrs.Name = ""
	if err := s.mutate(rq, attrs); err != nil {
		return err
	}
	// Default again what admission set, so later updates (which default
	// the stored object) see no spec change.
	apis.Default(obj)
	if err := s.prepareCreate(rq.res.stored(), obj, rq.ri.namespace); err != nil {
		return apierrors.NewInternalError(err)
	}
	if csr, ok := obj.(*certificatesv1.CertificateSigningRequest); ok {
		// The requester is whoever creates it, as upstream records.
		u, _ := UserFrom(rq.ctx)
		csr.Spec.Username, csr.Spec.Groups, csr.Spec.UID, csr.Spec.Extra = u.Name, u.Groups, "", nil
	}
	m := metaOf(obj)
	if errs := apis.ValidateCreate(obj, rq.res.Namespaced); len(errs) > 0 {
		return apierrors.NewInvalid(rq.res.GVK.GroupKind(), m.GetName(), errs)
	}
	if rq.res.Namespaced {
		if err := s.checkNamespaceOpen(rq, m.GetName()); err != nil {
			return err
		}
	}
	attrs.Name = m.GetName()
	if err := s.validate(rq, attrs); err != nil {
		return err
	}
	release, err := s.admitCreate(rq, obj)
	if err != nil {
		return err
	}
	if dryRun(rq) {
		release()
		if obj, err = rq.res.present(obj); err != nil {
			return err
		}
		return s.writeObject(rq, http.StatusCreated, obj)
	}
	out, err := s.store.Create(rq.ctx, rq.res.key(m.GetNamespace(), m.GetName()), obj)
	if err != nil {
		release()
		return storageError(err, rq.gr(), m.GetName())
	}
	s.noteWrite(rq.res, out)
	if out, err = rq.res.present(out); err != nil {
		return err
	}
	return s.writeObject(rq, http.StatusCreated, out)
}

// checkNamespaceOpen refuses objects in a missing or terminating
// namespace; it reads the namespace as admission does (watch cache, else
// store).
func (s *Server) checkNamespaceOpen(rq *request, name string) error {
	nsObj, err := cachedLookup{storeLookup{s}}.Get(rq.ctx, corev1.SchemeGroupVersion.WithResource("namespaces"), "", rq.ri.namespace)
	if err != nil {
		return storageError(err, corev1.Resource("namespaces"), rq.ri.namespace)
	}
	if ns := nsObj.(*corev1.Namespace); ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		err := apierrors.NewForbidden(rq.gr(), name, fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns.Name))
		err.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Message: fmt.Sprintf("namespace %s is being terminated", ns.Name), Field: "metadata.namespace"}}
		return err
	}
	return nil
}

// update serves PUT and PATCH of a resource or one of its subresources. The
// client's version (decoded, patched or applied) is computed from the
// current object inside the store's retry loop, so concurrent writers never
// lose updates.
func (s *Server) update(rq *request) error {
	if rq.ri.verb == "patch" && isApplyPatch(rq.r) {
		return s.apply(rq)
	}
	view, err := viewOf(rq.res, rq.ri.sub)
	if err != nil {
		return err
	}
	if rq.ri.verb == "patch" {
		body, err := s.readBody(rq)
		if err != nil {
			return err
		}
		return s.updateWith(rq, view, true, func(curView runtime.Object) (runtime.Object, error) {
			return s.patch(rq, view.kind(rq.res), curView, body)
		})
	}
	put, err := s.decodeBody(rq, view.kind(rq.res))
	if err != nil {
		return err
	}
	if n := metaOf(put).GetName(); n != rq.ri.name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", n, rq.ri.name))
	}
	return s.updateWith(rq, view, true, func(runtime.Object) (runtime.Object, error) { return put.DeepCopyObject(), nil })
}

// updateWith stores the object produce makes from the client's view of the
// current one; track records the writer in managedFields.
func (s *Server) updateWith(rq *request, view view, track bool, produce func(curView runtime.Object) (runtime.Object, error)) error {
	key := rq.res.key(rq.ri.namespace, rq.ri.name)
	var dryResult runtime.Object
	compute := func(cur runtime.Object) (runtime.Object, bool, error) {
		presented, err := rq.res.present(cur)
		if err != nil {
			return nil, false, err
		}
		curView, err := view.extract(presented)
		if err != nil {
			return nil, false, err
		}
		in, err := produce(curView)
		if err != nil {
			return nil, false, err
		}
		if track {
			if in, err = s.trackFields(rq, curView, in); err != nil {
				return nil, false, err
			}
		}
		if rq.ri.sub != "scale" {
			if in, err = rq.res.toStored(in); err != nil {
				return nil, false, err
			}
		}
		next, err := s.nextObject(rq, view, cur, in)
		if err == nil && track && rq.ri.sub == "scale" {
			// Scaling owns the parent's spec.replicas, as upstream records it.
			next, err = s.trackScale(rq, cur, next)
		}
		if err != nil || !dryRun(rq) {
			return next, next != nil && finalized(next), err
		}
		dryResult = next
		return nil, false, errDryRun
	}
	out, err := s.store.GuaranteedUpdate(rq.ctx, key, s.caches.suggestion(rq.res, key), compute)
	if errors.Is(err, errDryRun) {
		out, err = dryResult, nil
	} else if err == nil {
		s.noteWrite(rq.res, out)
	}
	if err != nil {
		return storageError(err, rq.gr(), rq.ri.name)
	}
	if out, err = rq.res.present(out); err != nil {
		return err
	}
	if out, err = view.extract(out); err != nil {
		return err
	}
	return s.writeObject(rq, http.StatusOK, out)
}

// errDryRun stops a dry-run update before the store writes.
var errDryRun = errors.New("dry run")

// nextObject turns the client's version in into the next stored object:
// optimistic concurrency, server-owned metadata, defaulting and validation.
func (s *Server) nextObject(rq *request, v view, cur, in runtime.Object) (runtime.Object, error) {
	rv := metaOf(in).GetResourceVersion()
	if rv != "" && rv != metaOf(cur).GetResourceVersion() {
		return nil, conflictModified(rq.gr(), rq.ri.name)
	}
	if n := metaOf(in).GetName(); n != "" && n != rq.ri.name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", n, rq.ri.name))
	}
	next, err := v.apply(rq.res, cur, in)
	if err != nil {
		return nil, err
	}
	metaOf(next).SetName(rq.ri.name)
	apis.Default(next)
	if err := prepareUpdate(rq.res, next, cur); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	attrs := admissionAttributes(rq, admission.Update, next, cur)
	if err := s.mutate(rq, attrs); err != nil {
		return nil, err
	}
	if errs := apis.ValidateUpdate(next, cur, rq.res.Namespaced); len(errs) > 0 {
		return nil, apierrors.NewInvalid(rq.res.GVK.GroupKind(), rq.ri.name, errs)
	}
	if err := s.validate(rq, attrs); err != nil {
		return nil, err
	}
	if err := s.admitUpdate(rq, next, cur); err != nil {
		return nil, err
	}
	return next, nil
}
