package apiserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/builtin"
	"github.com/capstan/capstan/internal/storage"
)

// storeLookup serves admission plugins' reads from the server's store.
type storeLookup struct{ s *Server }

var _ admission.Lookup = storeLookup{}

func (l storeLookup) resource(gvr schema.GroupVersionResource) (*Resource, error) {
	res := l.s.byGVR[gvr]
	if res == nil {
		return nil, fmt.Errorf("admission lookup: no resource %s", gvr)
	}
	return res, nil
}

// Get implements admission.Lookup.
func (l storeLookup) Get(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error) {
	res, err := l.resource(gvr)
	if err != nil {
		return nil, err
	}
	obj, err := l.s.store.Get(ctx, res.key(namespace, name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s/%s: %w", gvr.Resource, namespace, name, err)
	}
	return res.present(obj)
}

// List implements admission.Lookup.
func (l storeLookup) List(ctx context.Context, gvr schema.GroupVersionResource, namespace string) ([]runtime.Object, error) {
	res, err := l.resource(gvr)
	if err != nil {
		return nil, err
	}
	out, err := l.s.store.List(ctx, res.collectionKey(namespace), storage.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list %s in %q: %w", gvr.Resource, namespace, err)
	}
	items := make([]runtime.Object, 0, len(out.Items))
	for _, o := range out.Items {
		p, err := res.present(o)
		if err != nil {
			return nil, err
		}
		items = append(items, p)
	}
	return items, nil
}

// newAdmission builds the configured admission chain.
func (s *Server) newAdmission() (*admission.Chain, error) {
	chain, err := builtin.New(builtin.Options{Lookup: cachedLookup{storeLookup{s}}, Clock: s.clock,
		NotReadySeconds: s.cfg.DefaultNotReadyTolerationSeconds, UnreachableSeconds: s.cfg.DefaultUnreachableTolerationSeconds}, s.cfg.AdmissionPlugins)
	if err != nil {
		return nil, fmt.Errorf("admission: %w", err)
	}
	return chain, nil
}

// admissionAttributes describes rq writing obj (over old, on update).
func admissionAttributes(rq *request, op admission.Operation, obj, old runtime.Object) *admission.Attributes {
	a := &admission.Attributes{
		Operation: op, Resource: rq.res.GVR(), Kind: rq.res.GVK, Subresource: rq.ri.sub,
		Namespace: rq.ri.namespace, Name: rq.ri.name, Object: obj, OldObject: old, DryRun: dryRun(rq),
	}
	if u, ok := UserFrom(rq.ctx); ok {
		a.User = admission.UserInfo{Name: u.Name, Groups: u.Groups}
	}
	return a
}

// admissionWarnings hands the plugins' warnings to the response once each,
// and their annotations to the audit event.
func admissionWarnings(rq *request, a *admission.Attributes) {
	for _, w := range a.Warnings() {
		w = strings.ReplaceAll(w, `"`, `\"`)
		if !slices.Contains(rq.warnings, w) {
			rq.warnings = append(rq.warnings, w)
		}
	}
	for k, v := range a.Annotations() {
		auditAnnotate(rq.ctx, k, v)
	}
}

// mutate runs the mutating plugins over a.
func (s *Server) mutate(rq *request, a *admission.Attributes) error {
	defer admissionWarnings(rq, a)
	return s.admission.Admit(rq.ctx, a)
}

// validate runs the validating plugins over a, then the authorizer's
// write guard (RBAC escalation prevention) if it has one.
func (s *Server) validate(rq *request, a *admission.Attributes) error {
	defer admissionWarnings(rq, a)
	if err := s.admission.Validate(rq.ctx, a); err != nil {
		return err
	}
	g, ok := s.cfg.Authorizer.(WriteGuard)
	if !ok || a.Subresource != "" || (a.Operation != admission.Create && a.Operation != admission.Update) {
		return nil
	}
	u, _ := UserFrom(rq.ctx)
	return g.CheckWrite(rq.ctx, u, a.Object, a.OldObject)
}
