package apiserver

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/apiserver/fieldmanager"
)

// lazyFields builds the field manager on first use: parsing the schemas of
// every kind costs start-up time no request may need.
type lazyFields struct {
	once sync.Once
	m    *fieldmanager.Manager
	err  error
}

func (s *Server) fieldManager() (*fieldmanager.Manager, error) {
	s.fields.once.Do(func() { s.fields.m, s.fields.err = fieldmanager.New(s.scheme) })
	if s.fields.err != nil {
		return nil, apierrors.NewInternalError(s.fields.err)
	}
	return s.fields.m, nil
}

// managerName is the request's field manager: the fieldManager parameter,
// else, as upstream, the User-Agent up to its first "/".
func managerName(rq *request) string {
	if m := rq.q.Get("fieldManager"); m != "" {
		return m
	}
	ua := rq.r.UserAgent()
	if i := strings.Index(ua, "/"); i >= 0 {
		ua = ua[:i]
	}
	return ua
}

// trackFields records the request's ownership of what changed from cur
// (nil on create) to next, both in the resource's version. Subresources
// other than status are not tracked.
func (s *Server) trackFields(rq *request, cur, next runtime.Object) (runtime.Object, error) {
	sub := rq.ri.sub
	if sub != "" && sub != "status" {
		return next, nil
	}
	fm, err := s.fieldManager()
	if err != nil {
		return nil, err
	}
	out, err := fm.Update(rq.ctx, rq.res.GVK, cur, next, managerName(rq), sub)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return out, nil
}

// trackScale records a write through the scale subresource as ownership
// of the parent's fields it changed (spec.replicas). Scalable kinds are
// stored in the version they are served in.
func (s *Server) trackScale(rq *request, cur, next runtime.Object) (runtime.Object, error) {
	fm, err := s.fieldManager()
	if err != nil {
		return nil, err
	}
	out, err := fm.Update(rq.ctx, rq.res.GVK, cur, next, managerName(rq), "")
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return out, nil
}

func isApplyPatch(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == string(types.ApplyYAMLPatchType)
}

// apply serves server-side apply: the applied configuration is merged into
// the live object (created when absent) by the field manager, then stored
// like any update or create.
func (s *Server) apply(rq *request) error {
	if rq.ri.sub != "" && rq.ri.sub != "status" {
		return errUnsupportedMedia(string(types.ApplyYAMLPatchType), string(types.JSONPatchType), string(types.MergePatchType), string(types.StrategicMergePatchType))
	}
	fm, err := s.fieldManager()
	if err != nil {
		return err
	}
	body, err := s.readBody(rq)
	if err != nil {
		return err
	}
	view, err := viewOf(rq.res, rq.ri.sub)
	if err != nil {
		return err
	}
	force := boolParam(rq.q, "force")
	manager := rq.q.Get("fieldManager")
	applied := func(cur runtime.Object) (runtime.Object, error) {
		return fm.Apply(rq.ctx, rq.res.GVK, cur, body, manager, force)
	}
	err = s.updateWith(rq, view, false, applied)
	if !apierrors.IsNotFound(err) || rq.ri.sub != "" {
		return err
	}
	// Applying to an object that does not exist creates it.
	obj, err := applied(nil)
	if err != nil {
		return err
	}
	if n := metaOf(obj).GetName(); n != rq.ri.name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", n, rq.ri.name))
	}
	return s.createObject(rq, obj, false)
}
