package openapi

import (
	"fmt"

	"k8s.io/kube-openapi/pkg/common"
)

// This file holds the plain values that implement kube-openapi's route
// interfaces, so its spec builders can turn Capstan's routes into paths.

// param is one operation parameter.
type param struct {
	name, description string
	kind              common.ParameterKind
	dataType          string // "string", "boolean" or "integer"; unused for the body
	required          bool
}

var _ common.Parameter = param{}

func (p param) Name() string                 { return p.name }
func (p param) Description() string          { return p.description }
func (p param) Required() bool               { return p.required }
func (p param) Kind() common.ParameterKind   { return p.kind }
func (p param) DataType() string             { return p.dataType }
func (p param) AllowMultiple() bool          { return false }
func (p param) MarshalJSON() ([]byte, error) { return []byte(`"` + p.name + `"`), nil }

// response is one status code an operation answers with. A nil model is
// rejected by the builders, so every response carries one.
type response struct {
	code    int
	message string
	model   interface{}
}

var _ common.StatusCodeResponse = response{}

func (r response) Code() int          { return r.code }
func (r response) Message() string    { return r.message }
func (r response) Model() interface{} { return r.model }

// route is one HTTP operation on one path.
type route struct {
	method, path string
	operationID  string
	tags         []string
	description  string
	params       []common.Parameter
	consumes     []string
	produces     []string
	action       string
	gvk          map[string]interface{} // the operation's x-kubernetes-group-version-kind; nil for none
	body         interface{}            // request sample for the body parameter; nil for none
	responses    []common.StatusCodeResponse
}

var _ common.Route = (*route)(nil)

func (r *route) Method() string                                   { return r.method }
func (r *route) Path() string                                     { return r.path }
func (r *route) OperationName() string                            { return r.operationID }
func (r *route) Parameters() []common.Parameter                   { return r.params }
func (r *route) Description() string                              { return r.description }
func (r *route) Consumes() []string                               { return r.consumes }
func (r *route) Produces() []string                               { return r.produces }
func (r *route) RequestPayloadSample() any                        { return r.body }
func (r *route) ResponsePayloadSample() any                       { return nil }
func (r *route) StatusCodeResponses() []common.StatusCodeResponse { return r.responses }

// Metadata carries the vendor extensions the builders copy onto the operation.
func (r *route) Metadata() map[string]interface{} {
	m := map[string]interface{}{}
	if r.action != "" {
		m[extAction] = r.action
	}
	if r.gvk != nil {
		m[extGVK] = r.gvk
	}
	return m
}

// operationIDAndTags tells the spec builders the ID and tags of a route.
func operationIDAndTags(r common.Route) (string, []string, error) {
	own, ok := r.(*route)
	if !ok {
		return "", nil, fmt.Errorf("route %s %s was not built by package openapi", r.Method(), r.Path())
	}
	return own.operationID, own.tags, nil
}

// container groups the routes of one group version.
type container struct {
	root   string
	routes []common.Route
}

var _ common.RouteContainer = container{}

func (c container) RootPath() string                   { return c.root }
func (c container) PathParameters() []common.Parameter { return nil }
func (c container) Routes() []common.Route             { return c.routes }
