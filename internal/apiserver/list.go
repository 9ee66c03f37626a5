package apiserver

import (
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apis/fieldselector"
	"github.com/capstan/capstan/internal/storage"
)

// selection is a parsed labelSelector and fieldSelector.
type selection struct {
	labels labels.Selector
	fields fields.Selector
}

// parseSelection reads and checks the selectors of a list, watch or
// deletecollection.
func (s *Server) parseSelection(rq *request) (selection, error) {
	sel := selection{labels: labels.Everything(), fields: fields.Everything()}
	var err error
	if v := rq.q.Get("labelSelector"); v != "" {
		if sel.labels, err = labels.Parse(v); err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
	}
	if v := rq.q.Get("fieldSelector"); v != "" {
		if sel.fields, err = fields.ParseSelector(v); err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("invalid field selector %q: %v", v, err))
		}
		gk := rq.res.GVK.GroupKind()
		sel.fields, err = sel.fields.Transform(func(f, v string) (string, string, error) {
			label, err := fieldselector.Convert(gk, f)
			return label, v, err
		})
		if err != nil {
			return sel, apierrors.NewBadRequest(err.Error())
		}
	}
	return sel, nil
}

// filter returns the storage filter for sel, nil when it selects everything.
func (sel selection) filter() storage.Filter {
	if sel.labels.Empty() && sel.fields.Empty() {
		return nil
	}
	return func(obj runtime.Object) bool {
		m, err := meta.Accessor(obj)
		if err != nil {
			return false
		}
		if !sel.labels.Matches(labels.Set(m.GetLabels())) {
			return false
		}
		return sel.fields.Empty() || sel.fields.Matches(fieldselector.Fields(obj))
	}
}

// storedFilter returns the filter over stored objects that selects what
// sel selects in the resource's own version.
func (sel selection) storedFilter(res *Resource) storage.Filter {
	f := sel.filter()
	if f == nil || res.conv == nil {
		return f
	}
	return func(obj runtime.Object) bool {
		c, err := res.present(obj)
		return err == nil && f(c)
	}
}

// presentAll converts stored objects to the resource's version in place.
func presentAll(res *Resource, items []runtime.Object) error {
	for i, o := range items {
		c, err := res.present(o)
		if err != nil {
			return err
		}
		items[i] = c
	}
	return nil
}

// listOptions reads resourceVersion, resourceVersionMatch, limit and
// continue into storage options, with upstream's rules on combining them.
func listOptions(rq *request, filter storage.Filter) (storage.ListOptions, error) {
	opts := storage.ListOptions{Filter: filter, Limit: int64Param(rq.q, "limit", 0), Continue: rq.q.Get("continue")}
	rv, match := rq.q.Get("resourceVersion"), rq.q.Get("resourceVersionMatch")
	if match != "" && rv == "" {
		return opts, apierrors.NewBadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided")
	}
	if opts.Continue != "" && rv != "" && rv != "0" {
		return opts, apierrors.NewBadRequest("specifying resource version is not allowed when using continue")
	}
	if rv != "" {
		n, err := strconv.ParseInt(rv, 10, 64)
		if err != nil || n < 0 {
			return opts, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rv))
		}
		if match == "Exact" && n == 0 {
			return opts, apierrors.NewBadRequest("resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"")
		}
		opts.Revision, opts.Exact = n, match == "Exact"
	}
	if opts.Limit < 0 {
		opts.Limit = 0
	}
	return opts, nil
}

func (s *Server) list(rq *request) error {
	sel, err := s.parseSelection(rq)
	if err != nil {
		return err
	}
	opts, err := listOptions(rq, sel.storedFilter(rq.res))
	if err != nil {
		return err
	}
	res, err := s.store.List(rq.ctx, rq.res.collectionKey(rq.ri.namespace), opts)
	if err != nil {
		if opts.Continue != "" && apierrors.IsResourceExpired(storageError(err, rq.gr(), "")) {
			return apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
		}
		return storageError(err, rq.gr(), "")
	}
	if err := presentAll(rq.res, res.Items); err != nil {
		return err
	}
	lm := metav1.ListMeta{ResourceVersion: strconv.FormatInt(res.Revision, 10), Continue: res.Continue, RemainingItemCount: res.Remaining}
	var out runtime.Object
	switch rq.acc.kind {
	case outputTable:
		t, err := s.toTable(rq, res.Items, true)
		if err != nil {
			return err
		}
		t.ListMeta = lm
		out = t
	case outputPartialMetadata:
		l := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: "meta.k8s.io/v1"}, ListMeta: lm}
		for _, o := range res.Items {
			l.Items = append(l.Items, *partialMetadata(o))
		}
		out = l
	default:
		l, err := s.newList(rq.res, res.Items)
		if err != nil {
			return err
		}
		lma, _ := meta.ListAccessor(l)
		lma.SetResourceVersion(lm.ResourceVersion)
		lma.SetContinue(lm.Continue)
		lma.SetRemainingItemCount(lm.RemainingItemCount)
		out = l
	}
	s.writeRaw(rq.w, rq.acc, http.StatusOK, out)
	return nil
}

// newList builds the typed list of res holding items (their kind fields
// cleared, as upstream lists carry none).
func (s *Server) newList(res *Resource, items []runtime.Object) (runtime.Object, error) {
	gvk := res.GVK
	gvk.Kind += "List"
	l, err := s.scheme.New(gvk)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("new %s: %w", gvk, err))
	}
	for _, it := range items {
		it.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	if err := meta.SetList(l, items); err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("set list items: %w", err))
	}
	l.GetObjectKind().SetGroupVersionKind(gvk)
	return l, nil
}
