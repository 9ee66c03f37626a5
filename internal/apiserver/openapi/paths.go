package openapi

import (
	"fmt"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/common"
)

// resourceRoutes are the inputs shared by the routes of one resource.
type resourceRoutes struct {
	r          Resource
	gv         schema.GroupVersion
	obj        runtime.Object // sample of the kind
	list       runtime.Object // sample of the List kind; nil when there is none
	collection string         // /apis/apps/v1/namespaces/{namespace}/deployments
	scope      string         // "Namespaced" or ""
	scopeParam []common.Parameter
}

// routesFor returns every operation of one served resource.
func routesFor(s *runtime.Scheme, r Resource) ([]common.Route, error) {
	obj, err := sampleFor(s, r.GroupVersionKind)
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", r.Resource, err)
	}
	rr := resourceRoutes{r: r, gv: r.GroupVersionKind.GroupVersion(), obj: obj}
	if list := rr.gv.WithKind(r.GroupVersionKind.Kind + "List"); s.Recognizes(list) {
		if rr.list, err = sampleFor(s, list); err != nil {
			return nil, fmt.Errorf("resource %s: %w", r.Resource, err)
		}
	}
	base := groupVersionPath(rr.gv)
	rr.collection = base + "/" + r.Resource
	if r.Namespaced {
		rr.collection = base + "/namespaces/{namespace}/" + r.Resource
		rr.scope = "Namespaced"
		rr.scopeParam = []common.Parameter{namespaceParam()}
	}
	var out []common.Route
	out = append(out, rr.collectionRoutes()...)
	out = append(out, rr.itemRoutes()...)
	out = append(out, rr.watchRoutes()...)
	for _, sub := range r.Subresources {
		routes, err := rr.subresourceRoutes(s, sub)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", r.Resource, err)
		}
		out = append(out, routes...)
	}
	return out, nil
}

func (rr resourceRoutes) has(verb string) bool { return hasVerb(rr.r.Verbs, verb) }

func hasVerb(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// op starts a route with the parts every operation of the resource shares.
func (rr resourceRoutes) op(method, path, verb, id string, gvk schema.GroupVersionKind, params ...[]common.Parameter) *route {
	ps := []common.Parameter{prettyParam()}
	ps = append(ps, rr.scopeParam...)
	for _, p := range params {
		ps = append(ps, p...)
	}
	return &route{
		method: method, path: path, action: verb,
		operationID: id + operationGroup(rr.gv),
		tags:        []string{tag(rr.gv)},
		gvk:         gvkObject(gvk),
		params:      ps,
		produces:    objectMediaTypes(),
	}
}

// name builds the rest of an operation ID: [Collection]{Namespaced}{Kind}{suffix}.
func (rr resourceRoutes) name(prefix, suffix string) string {
	return prefix + rr.scope + rr.r.GroupVersionKind.Kind + suffix
}

func (rr resourceRoutes) collectionRoutes() []common.Route {
	kind := rr.r.GroupVersionKind.Kind
	gvk := rr.r.GroupVersionKind
	var out []common.Route
	if rr.has("list") && rr.list != nil {
		op := rr.op(http.MethodGet, rr.collection, "list", "list", gvk, listParams())
		op.operationID += rr.name("", "")
		op.description = "list or watch objects of kind " + kind
		op.produces = listMediaTypes()
		op.responses = ok(rr.list)
		out = append(out, op)
		if rr.r.Namespaced {
			all := rr.op(http.MethodGet, groupVersionPath(rr.gv)+"/"+rr.r.Resource, "list", "list", gvk, listParams())
			all.params = append([]common.Parameter{prettyParam()}, listParams()...)
			all.operationID += kind + "ForAllNamespaces"
			all.description = op.description
			all.produces = listMediaTypes()
			all.responses = ok(rr.list)
			out = append(out, all)
		}
	}
	if rr.has("create") {
		op := rr.op(http.MethodPost, rr.collection, "post", "create", gvk, writeParams(), []common.Parameter{bodyParam(true)})
		op.operationID += rr.name("", "")
		op.description = "create " + article(kind) + " " + kind
		op.consumes, op.body = anyMediaType(), rr.obj
		op.responses = written(rr.obj, http.StatusOK, http.StatusCreated, http.StatusAccepted)
		out = append(out, op)
	}
	if rr.has("deletecollection") {
		op := rr.op(http.MethodDelete, rr.collection, "deletecollection", "delete", gvk,
			deleteCollectionParams(), []common.Parameter{bodyParam(false)})
		op.operationID += rr.name("Collection", "")
		op.description = "delete collection of " + kind
		op.consumes, op.body = anyMediaType(), &metav1.DeleteOptions{}
		op.responses = ok(&metav1.Status{})
		out = append(out, op)
	}
	return out
}

func (rr resourceRoutes) itemRoutes() []common.Route {
	kind := rr.r.GroupVersionKind.Kind
	gvk := rr.r.GroupVersionKind
	item := rr.collection + "/{name}"
	named := []common.Parameter{nameParam(kind)}
	var out []common.Route
	if rr.has("get") {
		op := rr.op(http.MethodGet, item, "get", "read", gvk, named)
		op.operationID += rr.name("", "")
		op.description = "read the specified " + kind
		op.responses = ok(rr.obj)
		out = append(out, op)
	}
	if rr.has("update") {
		op := rr.op(http.MethodPut, item, "put", "replace", gvk, named, writeParams(), []common.Parameter{bodyParam(true)})
		op.operationID += rr.name("", "")
		op.description = "replace the specified " + kind
		op.consumes, op.body = anyMediaType(), rr.obj
		op.responses = written(rr.obj, http.StatusOK, http.StatusCreated)
		out = append(out, op)
	}
	if rr.has("patch") {
		op := rr.op(http.MethodPatch, item, "patch", "patch", gvk, named, patchParams(), []common.Parameter{bodyParam(true)})
		op.operationID += rr.name("", "")
		op.description = "partially update the specified " + kind
		op.consumes, op.body = patchMediaTypes(), &metav1.Patch{}
		op.responses = written(rr.obj, http.StatusOK, http.StatusCreated)
		out = append(out, op)
	}
	if rr.has("delete") {
		op := rr.op(http.MethodDelete, item, "delete", "delete", gvk, named, deleteParams(), []common.Parameter{bodyParam(false)})
		op.operationID += rr.name("", "")
		op.description = "delete " + article(kind) + " " + kind
		op.consumes, op.body = anyMediaType(), &metav1.DeleteOptions{}
		op.responses = written(&metav1.Status{}, http.StatusOK, http.StatusAccepted)
		out = append(out, op)
	}
	return out
}

// watchRoutes are the deprecated /watch/ paths, still listed by upstream.
func (rr resourceRoutes) watchRoutes() []common.Route {
	if !rr.has("watch") {
		return nil
	}
	kind := rr.r.GroupVersionKind.Kind
	gvk := rr.r.GroupVersionKind
	base := groupVersionPath(rr.gv)
	watchCollection := strings.Replace(rr.collection, base, base+"/watch", 1)
	event := &metav1.WatchEvent{}
	one := rr.op(http.MethodGet, watchCollection+"/{name}", "watch", "watch", gvk, []common.Parameter{nameParam(kind)}, listParams())
	one.operationID += rr.name("", "")
	one.description = "watch changes to an object of kind " + kind + "; deprecated: use watch=true on a list filtered by fieldSelector"
	one.produces, one.responses = listMediaTypes(), ok(event)
	out := []common.Route{one}
	if !rr.has("list") {
		return out
	}
	list := rr.op(http.MethodGet, watchCollection, "watchlist", "watch", gvk, listParams())
	list.operationID += rr.name("", "List")
	list.description = "watch individual changes to a list of " + kind + "; deprecated: use watch=true on a list"
	list.produces, list.responses = listMediaTypes(), ok(event)
	out = append(out, list)
	if rr.r.Namespaced {
		all := rr.op(http.MethodGet, base+"/watch/"+rr.r.Resource, "watchlist", "watch", gvk, listParams())
		all.params = append([]common.Parameter{prettyParam()}, listParams()...)
		all.operationID += kind + "ListForAllNamespaces"
		all.description = list.description
		all.produces, all.responses = listMediaTypes(), ok(event)
		out = append(out, all)
	}
	return out
}

func ok(model interface{}) []common.StatusCodeResponse {
	return written(model, http.StatusOK)
}

// written lists the same response model under several status codes.
func written(model interface{}, codes ...int) []common.StatusCodeResponse {
	out := make([]common.StatusCodeResponse, 0, len(codes))
	for _, c := range codes {
		out = append(out, response{code: c, message: http.StatusText(c), model: model})
	}
	return out
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}
