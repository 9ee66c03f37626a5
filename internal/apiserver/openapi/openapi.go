package openapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/capstan/capstan/internal/apiserver/openapi/generated"
)

// Resource is one served REST resource.
type Resource struct {
	GroupVersionKind schema.GroupVersionKind
	Resource         string // plural, e.g. "deployments"
	Namespaced       bool
	// Verbs of the main resource: "create", "delete", "deletecollection",
	// "get", "list", "patch", "update", "watch".
	Verbs []string
	// Subresources, e.g. {Name: "status", Kind: the resource's GVK} or
	// {Name: "scale", Kind: autoscaling/v1 Scale}.
	Subresources []Subresource
}

// Subresource is one subresource of a Resource. An empty GroupVersionKind
// means the subresource answers with plain text (pods/log). Verbs are
// "get", "update", "patch" and "create".
type Subresource struct {
	Name             string
	GroupVersionKind schema.GroupVersionKind
	Verbs            []string
}

// Documents are the built OpenAPI documents, ready to serve. They are
// immutable: build new Documents to change what is served.
type Documents struct {
	v2      *document            // /openapi/v2
	v3Index *body                // /openapi/v3
	v3      map[string]*document // by index key: "api/v1", "apis/apps/v1"
}

// New builds the v2 and v3 documents for resources; version (e.g.
// "v1.33.0") becomes the documents' info.version. It fails when a resource
// names a kind without a Go type or generated definition.
func New(resources []Resource, version string) (*Documents, error) {
	s, err := newTypeScheme()
	if err != nil {
		return nil, err
	}
	ix, err := buildGVKIndex(s, resources)
	if err != nil {
		return nil, fmt.Errorf("index openapi kinds: %w", err)
	}
	containers, err := buildContainers(s, resources)
	if err != nil {
		return nil, fmt.Errorf("build openapi routes: %w", err)
	}
	info := &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes", Version: version}}

	all := make([]common.RouteContainer, 0, len(containers))
	for _, c := range containers {
		all = append(all, c)
	}
	swagger, err := builder.BuildOpenAPISpecFromRoutes(all, v2Config(info, ix))
	if err != nil {
		return nil, fmt.Errorf("build openapi v2: %w", err)
	}
	d := &Documents{v3: make(map[string]*document, len(containers))}
	if d.v2, err = newDocument(swagger, protoV2, mediaProtoV2); err != nil {
		return nil, fmt.Errorf("encode openapi v2: %w", err)
	}

	index := handler3.OpenAPIV3Discovery{Paths: map[string]handler3.OpenAPIV3DiscoveryGroupVersion{}}
	for _, c := range containers {
		doc, err := builder3.BuildOpenAPISpecFromRoutes([]common.RouteContainer{c}, v3Config(info, ix))
		if err != nil {
			return nil, fmt.Errorf("build openapi v3 for %s: %w", c.root, err)
		}
		key := strings.TrimPrefix(c.root, "/")
		if d.v3[key], err = newDocument(doc, protoV3, mediaProtoV3); err != nil {
			return nil, fmt.Errorf("encode openapi v3 for %s: %w", c.root, err)
		}
		index.Paths[key] = handler3.OpenAPIV3DiscoveryGroupVersion{
			ServerRelativeURL: "/openapi/v3/" + key + "?hash=" + d.v3[key].json.hash,
		}
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return nil, fmt.Errorf("encode openapi v3 index: %w", err)
	}
	d.v3Index = newBody(indexJSON, "application/json")
	return d, nil
}

// buildContainers groups the routes of the resources by group version, in
// a stable order, each led by the group version's discovery route.
func buildContainers(s *runtime.Scheme, resources []Resource) ([]container, error) {
	byGV := map[schema.GroupVersion]*container{}
	var order []schema.GroupVersion
	for _, r := range resources {
		gv := r.GroupVersionKind.GroupVersion()
		c, ok := byGV[gv]
		if !ok {
			c = &container{root: groupVersionPath(gv), routes: []common.Route{discoveryRoute(gv)}}
			byGV[gv] = c
			order = append(order, gv)
		}
		routes, err := routesFor(s, r)
		if err != nil {
			return nil, err
		}
		c.routes = append(c.routes, routes...)
	}
	sort.Slice(order, func(i, j int) bool {
		return groupVersionPath(order[i]) < groupVersionPath(order[j])
	})
	out := make([]container, 0, len(order))
	for _, gv := range order {
		out = append(out, *byGV[gv])
	}
	return out, nil
}

func v2Config(info *spec.Info, ix gvkIndex) *common.Config {
	return &common.Config{
		Info:                           info,
		GetDefinitions:                 generated.GetOpenAPIDefinitions,
		GetDefinitionName:              ix.definitionNamer,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		CommonResponses: map[int]spec.Response{
			401: {ResponseProps: spec.ResponseProps{Description: "Unauthorized"}},
		},
		SecurityDefinitions: &spec.SecurityDefinitions{
			"BearerToken": &spec.SecurityScheme{SecuritySchemeProps: spec.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header",
				Description: "Bearer Token authentication",
			}},
		},
		DefaultSecurity: []map[string][]string{{"BearerToken": {}}},
	}
}

func v3Config(info *spec.Info, ix gvkIndex) *common.OpenAPIV3Config {
	return &common.OpenAPIV3Config{
		Info:                           info,
		GetDefinitions:                 generated.GetOpenAPIDefinitions,
		GetDefinitionName:              ix.definitionNamer,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		CommonResponses: map[int]*spec3.Response{
			401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}},
		},
		SecuritySchemes: spec3.SecuritySchemes{
			"BearerToken": &spec3.SecurityScheme{SecuritySchemeProps: spec3.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header",
				Description: "Bearer Token authentication",
			}},
		},
		DefaultSecurity: []map[string][]string{{"BearerToken": {}}},
		// builder3 does not copy DefaultSecurity into the document itself.
		PostProcessSpec: func(doc *spec3.OpenAPI) (*spec3.OpenAPI, error) {
			doc.SecurityRequirement = []map[string][]string{{"BearerToken": {}}}
			return doc, nil
		},
	}
}
