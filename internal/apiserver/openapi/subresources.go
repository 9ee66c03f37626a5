package openapi

import (
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/common"
)

// subresourceRoutes returns the operations of one subresource, e.g.
// /apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale. A
// subresource without a kind (pods/log) answers with a plain string.
func (rr resourceRoutes) subresourceRoutes(s *runtime.Scheme, sub Subresource) ([]common.Route, error) {
	gvk := sub.GroupVersionKind
	kind := rr.r.GroupVersionKind.Kind
	var model interface{} = ""
	if !gvk.Empty() {
		obj, err := sampleFor(s, gvk)
		if err != nil {
			return nil, fmt.Errorf("subresource %s: %w", sub.Name, err)
		}
		model, kind = obj, gvk.Kind
	} else {
		gvk = rr.r.GroupVersionKind
	}
	path := rr.collection + "/{name}/" + sub.Name
	named := []common.Parameter{nameParam(kind)}
	suffix := upperFirst(sub.Name)
	parent := rr.r.GroupVersionKind.Kind
	var out []common.Route
	for _, verb := range sub.Verbs {
		var op *route
		switch verb {
		case "get":
			op = rr.op(http.MethodGet, path, "get", "read", gvk, named)
			op.description = "read " + sub.Name + " of the specified " + parent
			op.responses = ok(model)
		case "update":
			op = rr.op(http.MethodPut, path, "put", "replace", gvk, named, writeParams(), []common.Parameter{bodyParam(true)})
			op.description = "replace " + sub.Name + " of the specified " + parent
			op.consumes, op.body = anyMediaType(), model
			op.responses = written(model, http.StatusOK, http.StatusCreated)
		case "patch":
			op = rr.op(http.MethodPatch, path, "patch", "patch", gvk, named, patchParams(), []common.Parameter{bodyParam(true)})
			op.description = "partially update " + sub.Name + " of the specified " + parent
			op.consumes, op.body = patchMediaTypes(), &metav1.Patch{}
			op.responses = written(model, http.StatusOK, http.StatusCreated)
		case "create":
			op = rr.op(http.MethodPost, path, "post", "create", gvk, named, writeParams(), []common.Parameter{bodyParam(true)})
			op.description = "create " + sub.Name + " of " + article(parent) + " " + parent
			op.consumes, op.body = anyMediaType(), model
			op.responses = written(model, http.StatusOK, http.StatusCreated, http.StatusAccepted)
		default:
			return nil, fmt.Errorf("subresource %s: unsupported verb %q", sub.Name, verb)
		}
		op.operationID += rr.name("", suffix)
		if model == "" {
			op.produces = []string{"text/plain", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
		}
		out = append(out, op)
	}
	return out, nil
}

// discoveryRoute is GET /apis/<group>/<version>/, the group version's
// resource list, which upstream documents in every group-version document.
func discoveryRoute(gv schema.GroupVersion) common.Route {
	root := groupVersionPath(gv)
	return &route{
		tags:   []string{tag(gv)},
		method: http.MethodGet, path: root + "/",
		operationID: "get" + operationGroup(gv) + "APIResources",
		description: "get available resources",
		produces:    objectMediaTypes(),
		consumes:    objectMediaTypes(),
		responses:   ok(&metav1.APIResourceList{}),
	}
}
