package apiserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apis/printers"
)

// request is one resource request being served.
type request struct {
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context
	ri  requestInfo
	res *Resource
	acc accepted
	q   url.Values
	// warnings collects Warning headers (field validation in Warn mode).
	warnings []string
}

func (rq *request) gr() schema.GroupResource { return rq.res.GroupResource() }

// serveAPI serves discovery documents and resource requests.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && s.serveDiscovery(w, r) {
		return
	}
	ri, ok := parseResourcePath(r)
	if !ok {
		s.writeError(w, r, errNoSuchPath())
		return
	}
	res := s.byGVR[schema.GroupVersionResource{Group: ri.group, Version: ri.version, Resource: ri.resource}]
	if res != nil && res.GVK.Kind == "Node" && ri.name != "" && (ri.sub == "proxy" || strings.HasPrefix(ri.sub, "proxy/")) {
		rq := &request{w: w, r: r, ctx: r.Context(), ri: ri, res: res, q: r.URL.Query()}
		rq.ri.sub = "proxy"
		err := s.authorize(rq)
		if err == nil {
			err = s.proxyNode(rq, strings.TrimPrefix(ri.sub, "proxy"))
		}
		if err != nil {
			s.writeError(w, r, err)
		}
		return
	}
	if res == nil || (ri.namespace != "" && !res.Namespaced) || (res.Namespaced && ri.namespace == "" && !ri.collection) ||
		(ri.sub != "" && !res.Has(ri.sub)) || (res.createOnly() && ri.verb != "create") {
		s.writeError(w, r, errNoSuchPath())
		return
	}
	if res.GVK.Kind == "Pod" && kubeletPath(ri.sub) != "" {
		rq := &request{w: w, r: r, ctx: r.Context(), ri: ri, res: res, acc: accepted{}, q: r.URL.Query()}
		err := s.authorize(rq)
		if err == nil {
			err = s.proxyToKubelet(rq)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
		return
	}
	acc, ok := negotiate(s.codecs, r.Header.Get("Accept"), r.URL.Query().Get("pretty") == "true")
	if !ok {
		s.writeError(w, r, errNotAcceptable(r.Header.Get("Accept")))
		return
	}
	rq := &request{w: w, r: r, ctx: r.Context(), ri: ri, res: res, acc: acc, q: r.URL.Query()}
	if err := checkParams(ri.verb, rq.q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.authorize(rq); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.dispatch(rq); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) dispatch(rq *request) error {
	ri := rq.ri
	switch {
	case rq.res.isReview():
		return s.review(rq)
	case rq.res.createOnly():
		return s.createBinding(rq, ri.namespace, "")
	case ri.sub == "binding":
		return s.requireVerb(rq, "create", func() error { return s.createBinding(rq, ri.namespace, ri.name) })
	case ri.sub == "eviction":
		return s.requireVerb(rq, "create", func() error { return s.evict(rq) })
	case ri.sub == "token":
		return s.requireVerb(rq, "create", func() error { return s.createToken(rq) })
	case ri.sub != "":
		switch ri.verb {
		case "get":
			return s.get(rq)
		case "update", "patch":
			return s.update(rq)
		}
		return apierrors.NewMethodNotSupported(rq.gr(), ri.verb)
	}
	switch ri.verb {
	case "get":
		return s.get(rq)
	case "list":
		return s.list(rq)
	case "watch":
		return s.watch(rq)
	case "create":
		if !ri.collection {
			return apierrors.NewMethodNotSupported(rq.gr(), "create")
		}
		return s.create(rq)
	case "update", "patch":
		return s.update(rq)
	case "delete":
		return s.delete(rq)
	case "deletecollection":
		if rq.res.NoDeleteCollection {
			return apierrors.NewMethodNotSupported(rq.gr(), "deletecollection")
		}
		return s.deleteCollection(rq)
	}
	return apierrors.NewMethodNotSupported(rq.gr(), ri.verb)
}

func (s *Server) requireVerb(rq *request, verb string, f func() error) error {
	if rq.ri.verb != verb {
		return apierrors.NewMethodNotSupported(rq.gr(), rq.ri.verb)
	}
	return f()
}

func (s *Server) get(rq *request) error {
	obj, err := s.store.Get(rq.ctx, rq.res.key(rq.ri.namespace, rq.ri.name))
	if err != nil {
		return storageError(err, rq.gr(), rq.ri.name)
	}
	view, err := viewOf(rq.res, rq.ri.sub)
	if err != nil {
		return err
	}
	if obj, err = rq.res.present(obj); err != nil {
		return err
	}
	out, err := view.extract(obj)
	if err != nil {
		return err
	}
	return s.writeObject(rq, http.StatusOK, out)
}

// setKind stamps obj with the apiVersion and kind registered for its type.
func (s *Server) setKind(obj runtime.Object) {
	gvks, _, err := s.scheme.ObjectKinds(obj)
	// Objects of the watch cache are shared by all watchers: they carry
	// their kind from the decode already and must not be written to.
	if err == nil && len(gvks) > 0 && obj.GetObjectKind().GroupVersionKind() != gvks[0] {
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	}
}

// writeObject answers with one object in the negotiated shape.
func (s *Server) writeObject(rq *request, code int, obj runtime.Object) error {
	for _, w := range rq.warnings {
		rq.w.Header().Add("Warning", `299 - "`+w+`"`)
	}
	s.setKind(obj)
	switch rq.acc.kind {
	case outputTable:
		m, err := meta.Accessor(obj)
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		t, err := s.toTable(rq, []runtime.Object{obj}, true)
		if err != nil {
			return err
		}
		t.ResourceVersion = m.GetResourceVersion()
		obj = t
	case outputPartialMetadata:
		obj = partialMetadata(obj)
	}
	s.writeRaw(rq.w, rq.acc, code, obj)
	return nil
}

func partialMetadata(obj runtime.Object) *metav1.PartialObjectMetadata {
	out := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}}
	if a, ok := obj.(metav1.ObjectMetaAccessor); ok {
		if om, ok := a.GetObjectMeta().(*metav1.ObjectMeta); ok {
			out.ObjectMeta = *om
		}
	}
	return out
}

// toTable converts objs to a Table with rows as upstream's printers make
// them. withColumns false omits the column definitions (watch events after
// the first).
func (s *Server) toTable(rq *request, objs []runtime.Object, withColumns bool) (*metav1.Table, error) {
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}}
	if withColumns {
		t.ColumnDefinitions = printers.Columns(rq.res.GVK.GroupKind())
	}
	now := s.clock.Now()
	include := rq.q.Get("includeObject")
	t.Rows = make([]metav1.TableRow, 0, len(objs))
	for _, obj := range objs {
		cells, err := printers.Cells(obj, now)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		row := metav1.TableRow{Cells: cells}
		switch include {
		case "None":
		case "Object":
			s.setKind(obj)
			row.Object.Object = obj
		default:
			row.Object.Object = partialMetadata(obj)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
