package openapi

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// allVerbs are the verbs of an ordinary resource.
func allVerbs() []string {
	return []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
}

// testResources is a small cross-section of what the server serves: core
// and named groups, namespaced and cluster-scoped, status, scale, a
// create-only kind and a kind-less subresource.
func testResources() []Resource {
	gvk := func(g, v, k string) schema.GroupVersionKind {
		return schema.GroupVersionKind{Group: g, Version: v, Kind: k}
	}
	rw := []string{"get", "patch", "update"}
	scale := gvk("autoscaling", "v1", "Scale")
	return []Resource{
		{GroupVersionKind: gvk("", "v1", "Pod"), Resource: "pods", Namespaced: true, Verbs: allVerbs(),
			Subresources: []Subresource{
				{Name: "status", GroupVersionKind: gvk("", "v1", "Pod"), Verbs: rw},
				{Name: "binding", GroupVersionKind: gvk("", "v1", "Binding"), Verbs: []string{"create"}},
				{Name: "log", Verbs: []string{"get"}},
			}},
		{GroupVersionKind: gvk("", "v1", "Namespace"), Resource: "namespaces", Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"},
			Subresources: []Subresource{{Name: "status", GroupVersionKind: gvk("", "v1", "Namespace"), Verbs: rw}}},
		{GroupVersionKind: gvk("apps", "v1", "Deployment"), Resource: "deployments", Namespaced: true, Verbs: allVerbs(),
			Subresources: []Subresource{
				{Name: "status", GroupVersionKind: gvk("apps", "v1", "Deployment"), Verbs: rw},
				{Name: "scale", GroupVersionKind: scale, Verbs: rw},
			}},
		{GroupVersionKind: gvk("rbac.authorization.k8s.io", "v1", "ClusterRole"), Resource: "clusterroles", Verbs: allVerbs()},
		{GroupVersionKind: gvk("authentication.k8s.io", "v1", "TokenReview"), Resource: "tokenreviews", Verbs: []string{"create"}},
	}
}
