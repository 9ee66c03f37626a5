package openapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

func v2Doc(t *testing.T, d *Documents) *spec.Swagger {
	t.Helper()
	var doc spec.Swagger
	if err := json.Unmarshal(d.v2.json.data, &doc); err != nil {
		t.Fatalf("decode v2: %v", err)
	}
	return &doc
}

func v2Operation(item spec.PathItem, method string) *spec.Operation {
	switch method {
	case http.MethodGet:
		return item.Get
	case http.MethodPost:
		return item.Post
	case http.MethodPut:
		return item.Put
	case http.MethodPatch:
		return item.Patch
	case http.MethodDelete:
		return item.Delete
	}
	return nil
}

func TestV2Operations(t *testing.T) {
	d, err := New(testResources(), "v1.33.0")
	if err != nil {
		t.Fatal(err)
	}
	doc := v2Doc(t, d)
	tests := []struct {
		method, path, id, action, kind string
	}{
		{"GET", "/apis/apps/v1/namespaces/{namespace}/deployments", "listAppsV1NamespacedDeployment", "list", "Deployment"},
		{"POST", "/apis/apps/v1/namespaces/{namespace}/deployments", "createAppsV1NamespacedDeployment", "post", "Deployment"},
		{"DELETE", "/apis/apps/v1/namespaces/{namespace}/deployments", "deleteAppsV1CollectionNamespacedDeployment", "deletecollection", "Deployment"},
		{"GET", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "readAppsV1NamespacedDeployment", "get", "Deployment"},
		{"PUT", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "replaceAppsV1NamespacedDeployment", "put", "Deployment"},
		{"PATCH", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patchAppsV1NamespacedDeployment", "patch", "Deployment"},
		{"DELETE", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "deleteAppsV1NamespacedDeployment", "delete", "Deployment"},
		{"GET", "/apis/apps/v1/deployments", "listAppsV1DeploymentForAllNamespaces", "list", "Deployment"},
		{"GET", "/apis/apps/v1/watch/deployments", "watchAppsV1DeploymentListForAllNamespaces", "watchlist", "Deployment"},
		{"GET", "/apis/apps/v1/watch/namespaces/{namespace}/deployments", "watchAppsV1NamespacedDeploymentList", "watchlist", "Deployment"},
		{"GET", "/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}", "watchAppsV1NamespacedDeployment", "watch", "Deployment"},
		{"GET", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "readAppsV1NamespacedDeploymentScale", "get", "Scale"},
		{"PATCH", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status", "patchAppsV1NamespacedDeploymentStatus", "patch", "Deployment"},
		{"GET", "/api/v1/namespaces", "listCoreV1Namespace", "list", "Namespace"},
		{"GET", "/api/v1/watch/namespaces", "watchCoreV1NamespaceList", "watchlist", "Namespace"},
		{"POST", "/api/v1/namespaces/{namespace}/pods/{name}/binding", "createCoreV1NamespacedPodBinding", "post", "Binding"},
		{"GET", "/api/v1/namespaces/{namespace}/pods/{name}/log", "readCoreV1NamespacedPodLog", "get", "Pod"},
		{"DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "deleteRbacAuthorizationV1CollectionClusterRole", "deletecollection", "ClusterRole"},
		{"POST", "/apis/authentication.k8s.io/v1/tokenreviews", "createAuthenticationV1TokenReview", "post", "TokenReview"},
		{"GET", "/apis/apps/v1/", "getAppsV1APIResources", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			item, ok := doc.Paths.Paths[tt.path]
			if !ok {
				t.Fatalf("path %s missing", tt.path)
			}
			op := v2Operation(item, tt.method)
			if op == nil {
				t.Fatalf("%s %s missing", tt.method, tt.path)
			}
			if op.ID != tt.id {
				t.Errorf("operation ID %q, want %q", op.ID, tt.id)
			}
			action, _ := op.Extensions.GetString(extAction)
			if action != tt.action {
				t.Errorf("action %q, want %q", action, tt.action)
			}
			var gvk map[string]string
			_ = op.Extensions.GetObject(extGVK, &gvk)
			if gvk["kind"] != tt.kind {
				t.Errorf("operation GVK %v, want kind %q", gvk, tt.kind)
			}
		})
	}
	absent := []struct{ method, path string }{
		{"GET", "/apis/authentication.k8s.io/v1/tokenreviews"},
		{"DELETE", "/api/v1/namespaces"},
		{"GET", "/api/v1/watch/namespaces/{namespace}/namespaces"},
	}
	for _, a := range absent {
		if item, ok := doc.Paths.Paths[a.path]; ok && v2Operation(item, a.method) != nil {
			t.Errorf("%s %s is served but the resource lacks the verb", a.method, a.path)
		}
	}
}

// TestPatchSupportsFieldValidation checks what kubectl checks before it
// relies on server-side field validation: each kind's PATCH operation in its
// group-version document carries the kind and an operation-level
// fieldValidation query parameter.
func TestPatchSupportsFieldValidation(t *testing.T) {
	d, err := New(testResources(), "v1.33.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testResources() {
		if !hasVerb(r.Verbs, "patch") {
			continue
		}
		gvk := r.GroupVersionKind
		t.Run(gvk.String(), func(t *testing.T) {
			var doc spec3.OpenAPI
			key := groupVersionPath(gvk.GroupVersion())[1:]
			if err := json.Unmarshal(d.v3[key].json.data, &doc); err != nil {
				t.Fatal(err)
			}
			if !patchHasQueryParam(&doc, gvk, "fieldValidation") {
				t.Errorf("no PATCH operation for %s with a fieldValidation query parameter", gvk)
			}
		})
	}
}

func patchHasQueryParam(doc *spec3.OpenAPI, gvk schema.GroupVersionKind, name string) bool {
	for _, item := range doc.Paths.Paths {
		if item.Patch == nil {
			continue
		}
		var got map[string]string
		if err := item.Patch.Extensions.GetObject(extGVK, &got); err != nil ||
			got["group"] != gvk.Group || got["version"] != gvk.Version || got["kind"] != gvk.Kind {
			continue
		}
		for _, p := range item.Patch.Parameters {
			if p.Name == name && p.In == "query" {
				return true
			}
		}
	}
	return false
}
